from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'section.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    l_0_articles = l_0_feed_list = missing
    pass
    parent_template = environment.get_template('base.html', 'section.html')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    included_template = environment.get_template('macros.html', 'section.html')._get_default_module(context)
    l_0_articles = getattr(included_template, 'articles', missing)
    if l_0_articles is missing:
        l_0_articles = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'section.html') does not export the requested name 'articles'", name='articles')
    l_0_feed_list = getattr(included_template, 'feed_list', missing)
    if l_0_feed_list is missing:
        l_0_feed_list = undefined(f"the template {included_template.__name__!r} (imported on line 2 in 'section.html') does not export the requested name 'feed_list'", name='feed_list')
    context.vars.update({'articles': l_0_articles, 'feed_list': l_0_feed_list})
    context.exported_vars.difference_update(('articles', 'feed_list'))
    yield from parent_template.root_render_func(context)

def block_description(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_feed = resolve('feed')
    pass
    yield escape(environment.getattr((undefined(name='feed') if l_0_feed is missing else l_0_feed), 'description'))

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_name = resolve('name')
    l_0_limited = resolve('limited')
    l_0_count = resolve('count')
    l_0_feed_list = resolve('feed_list')
    l_0_feed = resolve('feed')
    l_0_page = resolve('page')
    l_0_blocks = resolve('blocks')
    pass
    yield '<h1>栏目：'
    yield escape((undefined(name='name') if l_0_name is missing else l_0_name))
    yield '</h1>\n<p>本栏目的文章，新的在前'
    if (undefined(name='limited') if l_0_limited is missing else l_0_limited):
        pass
        yield '，只列出最近的 '
        yield escape((undefined(name='count') if l_0_count is missing else l_0_count))
        yield ' 篇'
    yield '。</p>\n<h2 id="feeds">订阅本栏目</h2>\n'
    yield escape(context.call((undefined(name='feed_list') if l_0_feed_list is missing else l_0_feed_list), [(undefined(name='feed') if l_0_feed is missing else l_0_feed)], 3, environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'), _block_vars=_block_vars))
    yield '\n'
    l_1_loop = missing
    for l_1_block, l_1_loop in LoopContext((undefined(name='blocks') if l_0_blocks is missing else l_0_blocks), undefined):
        l_1_articles = resolve('articles')
        _loop_vars = {}
        pass
        yield '<section class="in-issue" aria-labelledby="i'
        yield escape(environment.getattr(l_1_loop, 'index'))
        yield '">\n<h2 id="i'
        yield escape(environment.getattr(l_1_loop, 'index'))
        yield '"><a href="'
        yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
        yield escape(environment.getattr(environment.getattr(l_1_block, 'issue'), 'path'))
        yield '">'
        yield escape(environment.getattr(environment.getattr(l_1_block, 'issue'), 'label'))
        yield '</a></h2>\n<p class="date"><time datetime="'
        yield escape(environment.getattr(environment.getattr(l_1_block, 'issue'), 'date'))
        yield '">'
        yield escape(environment.getattr(environment.getattr(l_1_block, 'issue'), 'date'))
        yield '</time></p>\n'
        yield escape(context.call((undefined(name='articles') if l_1_articles is missing else l_1_articles), environment.getattr(l_1_block, 'articles'), 3, _loop_vars=_loop_vars))
        yield '\n</section>\n'
    l_1_loop = l_1_block = l_1_articles = missing
    yield '<p class="more"><a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'archive.html">更早的文章见往期目录</a></p>\n'

blocks = {'description': block_description, 'main': block_main}
debug_info = '1=13&2=16&3=27&4=38&5=54&6=56&8=62&9=65&10=70&11=72&12=79&13=83&16=87'