from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'archive.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    parent_template = None
    pass
    parent_template = environment.get_template('base.html', 'archive.html')
    for name, parent_block in parent_template.blocks.items():
        context.blocks.setdefault(name, []).append(parent_block)
    yield from parent_template.root_render_func(context)

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_archived = resolve('archived')
    l_0_years = resolve('years')
    pass
    yield '<h1>往期目录</h1>\n'
    if (undefined(name='archived') if l_0_archived is missing else l_0_archived):
        pass
        yield '<p class="muted">订阅源也保存全部往期：较早的文章按 RFC 5005 分页存档，订阅源以 <code>rel="prev-archive"</code> 链接最新一页，支持的阅读器可一直取回到第一期。</p>\n'
    t_1 = 1
    for (l_1_year, l_1_refs) in (undefined(name='years') if l_0_years is missing else l_0_years):
        l_1_year_section = resolve('year_section')
        _loop_vars = {}
        pass
        yield escape(context.call((undefined(name='year_section') if l_1_year_section is missing else l_1_year_section), l_1_year, l_1_refs, _loop_vars=_loop_vars))
        t_1 = 0
    l_1_year = l_1_refs = l_1_year_section = missing
    if t_1:
        pass
        yield '<p>还没有任何一期。</p>\n'

blocks = {'main': block_main}
debug_info = '1=12&2=17&4=28&7=32&8=36'