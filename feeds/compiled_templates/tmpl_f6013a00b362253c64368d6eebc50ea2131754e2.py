from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'index.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    l_0_issue_body = l_0_feed_list = missing
    pass
    parent_template = environment.get_template('base.html', 'index.html')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    included_template = environment.get_template('macros.html', 'index.html')._get_default_module(context)
    l_0_issue_body = getattr(included_template, 'issue_body', missing)
    if l_0_issue_body is missing:
        l_0_issue_body = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'index.html') does not export the requested name 'issue_body'", name='issue_body')
    l_0_feed_list = getattr(included_template, 'feed_list', missing)
    if l_0_feed_list is missing:
        l_0_feed_list = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'index.html') does not export the requested name 'feed_list'", name='feed_list')
    context.vars.update({'issue_body': l_0_issue_body, 'feed_list': l_0_feed_list})
    context.exported_vars.difference_update(('issue_body', 'feed_list'))
    yield from parent_template.root_render_func(context)

def block_title(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_site = resolve('site')
    pass
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_site = resolve('site')
    l_0_latest = resolve('latest')
    l_0_page = resolve('page')
    l_0_latest_ref = resolve('latest_ref')
    l_0_issue_body = resolve('issue_body')
    l_0_recent = resolve('recent')
    l_0_feed_list = resolve('feed_list')
    l_0_combined = resolve('combined')
    l_0_digest = resolve('digest')
    l_0_sections = resolve('sections')
    try:
        t_1 = environment.filters['href']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'href' found.")
    try:
        t_2 = environment.filters['list']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'list' found.")
    pass
    yield '<h1>'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))
    yield '</h1>\n<p class="lead">'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'description'))
    yield '</p>\n'
    if (undefined(name='latest') if l_0_latest is missing else l_0_latest):
        pass
        yield '<section class="latest" aria-labelledby="latest">\n<h2 id="latest">最新一期：<a href="'
        yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
        yield escape(environment.getattr((undefined(name='latest_ref') if l_0_latest_ref is missing else l_0_latest_ref), 'path'))
        yield '">'
        yield escape(environment.getattr((undefined(name='latest_ref') if l_0_latest_ref is missing else l_0_latest_ref), 'label'))
        yield '</a></h2>\n<p class="date">出版日期：<time datetime="'
        yield escape(environment.getattr((undefined(name='latest_ref') if l_0_latest_ref is missing else l_0_latest_ref), 'date'))
        yield '">'
        yield escape(environment.getattr((undefined(name='latest_ref') if l_0_latest_ref is missing else l_0_latest_ref), 'date'))
        yield '</time> · 共 '
        yield escape(environment.getattr((undefined(name='latest_ref') if l_0_latest_ref is missing else l_0_latest_ref), 'articles'))
        yield ' 篇</p>\n'
        if environment.getattr((undefined(name='latest_ref') if l_0_latest_ref is missing else l_0_latest_ref), 'url'):
            pass
            yield '<p><a href="'
            yield escape(t_1(environment.getattr((undefined(name='latest_ref') if l_0_latest_ref is missing else l_0_latest_ref), 'url')))
            yield '">'
            yield escape(environment.getattr((undefined(name='latest_ref') if l_0_latest_ref is missing else l_0_latest_ref), 'label'))
            yield '的原网页</a></p>'
        yield escape(context.call((undefined(name='issue_body') if l_0_issue_body is missing else l_0_issue_body), (undefined(name='latest') if l_0_latest is missing else l_0_latest), 3, environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'), _block_vars=_block_vars))
        yield '\n</section>\n'
    if (undefined(name='recent') if l_0_recent is missing else l_0_recent):
        pass
        yield '<section aria-labelledby="recent">\n<h2 id="recent">近期各期</h2>\n<ul class="issues">\n'
        for l_1_ref in (undefined(name='recent') if l_0_recent is missing else l_0_recent):
            _loop_vars = {}
            pass
            yield '<li><a href="'
            yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
            yield escape(environment.getattr(l_1_ref, 'path'))
            yield '">'
            yield escape(environment.getattr(l_1_ref, 'label'))
            yield '</a> <span class="muted"><time datetime="'
            yield escape(environment.getattr(l_1_ref, 'date'))
            yield '">'
            yield escape(environment.getattr(l_1_ref, 'date'))
            yield '</time> · '
            yield escape(environment.getattr(l_1_ref, 'articles'))
            yield ' 篇</span></li>\n'
        l_1_ref = missing
        yield '</ul>\n<p class="more"><a href="'
        yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
        yield 'archive.html">全部往期目录</a></p>\n</section>\n'
    yield '<section class="subscribe" id="subscribe" aria-labelledby="how">\n<h2 id="how">订阅</h2>\n<p>在 RSS 阅读器（如 Feedly、Inoreader、NetNewsWire）里添加下面任一地址即可订阅；Atom、RSS 与 JSON Feed 内容相同，选一种即可；“每期合集”每期只有一条。也可以把本页地址粘贴到阅读器，它会自动找到订阅源；或下载 <a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'feeds.opml">包含全部订阅源的 OPML 文件</a>，导入阅读器一次订阅全部栏目。</p>\n'
    yield escape(context.call((undefined(name='feed_list') if l_0_feed_list is missing else l_0_feed_list), ((([(undefined(name='combined') if l_0_combined is missing else l_0_combined)] if (undefined(name='combined') if l_0_combined is missing else l_0_combined) else []) + ([(undefined(name='digest') if l_0_digest is missing else l_0_digest)] if (undefined(name='digest') if l_0_digest is missing else l_0_digest) else [])) + t_2(context.eval_ctx, (undefined(name='sections') if l_0_sections is missing else l_0_sections))), 3, environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'), _block_vars=_block_vars))
    yield '\n</section>\n'

blocks = {'title': block_title, 'main': block_main}
debug_info = '1=13&2=16&3=27&4=38&5=69&6=71&7=73&9=76&10=81&11=87&12=94&15=96&19=99&20=103&23=116&28=119&29=121'