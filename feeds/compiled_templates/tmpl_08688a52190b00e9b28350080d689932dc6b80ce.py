from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'issue.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    l_0_issue_body = l_0_feed_list = missing
    pass
    parent_template = environment.get_template('base.html', 'issue.html')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    included_template = environment.get_template('macros.html', 'issue.html')._get_default_module(context)
    l_0_issue_body = getattr(included_template, 'issue_body', missing)
    if l_0_issue_body is missing:
        l_0_issue_body = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'issue.html') does not export the requested name 'issue_body'", name='issue_body')
    l_0_feed_list = getattr(included_template, 'feed_list', missing)
    if l_0_feed_list is missing:
        l_0_feed_list = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'issue.html') does not export the requested name 'feed_list'", name='feed_list')
    context.vars.update({'issue_body': l_0_issue_body, 'feed_list': l_0_feed_list})
    context.exported_vars.difference_update(('issue_body', 'feed_list'))
    yield from parent_template.root_render_func(context)

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_ref = resolve('ref')
    l_0_issue_body = resolve('issue_body')
    l_0_issue = resolve('issue')
    l_0_page = resolve('page')
    l_0_previous = resolve('previous')
    l_0_next = resolve('next')
    l_0_feed_list = resolve('feed_list')
    l_0_combined = resolve('combined')
    l_0_feeds = resolve('feeds')
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
    yield '<article class="issue">\n<h1>'
    yield escape(environment.getattr((undefined(name='ref') if l_0_ref is missing else l_0_ref), 'label'))
    yield '</h1>\n<p class="date">出版日期：<time datetime="'
    yield escape(environment.getattr((undefined(name='ref') if l_0_ref is missing else l_0_ref), 'date'))
    yield '">'
    yield escape(environment.getattr((undefined(name='ref') if l_0_ref is missing else l_0_ref), 'date'))
    yield '</time> · 共 '
    yield escape(environment.getattr((undefined(name='ref') if l_0_ref is missing else l_0_ref), 'articles'))
    yield ' 篇</p>\n'
    if environment.getattr((undefined(name='ref') if l_0_ref is missing else l_0_ref), 'url'):
        pass
        yield '<p><a href="'
        yield escape(t_1(environment.getattr((undefined(name='ref') if l_0_ref is missing else l_0_ref), 'url')))
        yield '">'
        yield escape(environment.getattr((undefined(name='ref') if l_0_ref is missing else l_0_ref), 'label'))
        yield '的原网页</a></p>'
    yield escape(context.call((undefined(name='issue_body') if l_0_issue_body is missing else l_0_issue_body), (undefined(name='issue') if l_0_issue is missing else l_0_issue), 2, environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'), _block_vars=_block_vars))
    yield '\n</article>\n<nav class="pager" aria-label="相邻各期">\n<ul>\n'
    if (undefined(name='previous') if l_0_previous is missing else l_0_previous):
        pass
        yield '<li class="prev"><a href="'
        yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
        yield escape(environment.getattr((undefined(name='previous') if l_0_previous is missing else l_0_previous), 'path'))
        yield '" rel="prev">上一期：'
        yield escape(environment.getattr((undefined(name='previous') if l_0_previous is missing else l_0_previous), 'label'))
        yield '</a></li>'
    if (undefined(name='next') if l_0_next is missing else l_0_next):
        pass
        yield '<li class="next"><a href="'
        yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
        yield escape(environment.getattr((undefined(name='next') if l_0_next is missing else l_0_next), 'path'))
        yield '" rel="next">下一期：'
        yield escape(environment.getattr((undefined(name='next') if l_0_next is missing else l_0_next), 'label'))
        yield '</a></li>'
    yield '<li><a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'archive.html">往期目录</a></li>\n</ul>\n</nav>\n<section class="subscribe" aria-labelledby="feeds">\n<h2 id="feeds">订阅本期的栏目</h2>\n'
    yield escape(context.call((undefined(name='feed_list') if l_0_feed_list is missing else l_0_feed_list), (([(undefined(name='combined') if l_0_combined is missing else l_0_combined)] if (undefined(name='combined') if l_0_combined is missing else l_0_combined) else []) + t_2(context.eval_ctx, (undefined(name='feeds') if l_0_feeds is missing else l_0_feeds))), 3, environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'), _block_vars=_block_vars))
    yield '\n</section>\n'

blocks = {'main': block_main}
debug_info = '1=13&2=16&3=27&5=57&6=59&7=65&8=72&12=74&13=82&14=91&19=93'