from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'archive_year.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_year = resolve('year')
    l_0_refs = resolve('refs')
    pass
    yield '<section aria-labelledby="y'
    yield escape((undefined(name='year') if l_0_year is missing else l_0_year))
    yield '">\n<h2 id="y'
    yield escape((undefined(name='year') if l_0_year is missing else l_0_year))
    yield '">'
    yield escape((undefined(name='year') if l_0_year is missing else l_0_year))
    yield ' 年</h2>\n<ol class="issues" reversed>\n'
    for l_1_ref in (undefined(name='refs') if l_0_refs is missing else l_0_refs):
        l_1_page = resolve('page')
        _loop_vars = {}
        pass
        yield '<li><a href="'
        yield escape(environment.getattr((undefined(name='page') if l_1_page is missing else l_1_page), 'root'))
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
    l_1_ref = l_1_page = missing
    yield '</ol>\n</section>\n'

blocks = {}
debug_info = '1=14&2=16&4=20&5=25'