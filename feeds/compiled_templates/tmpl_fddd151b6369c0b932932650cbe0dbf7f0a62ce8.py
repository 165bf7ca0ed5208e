from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'base.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_site = resolve('site')
    l_0_page = resolve('page')
    try:
        t_1 = environment.filters['upper']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'upper' found.")
    pass
    yield '<!DOCTYPE html>\n<html lang="'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'language'))
    yield '">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="generator" content="feeds">\n<title>'
    yield from context.blocks['title'][0](context)
    yield '</title>\n<meta name="description" content="'
    yield from context.blocks['description'][0](context)
    yield '">\n<link rel="canonical" href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'url'))
    yield '">\n<link rel="stylesheet" href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'style.css">\n<link rel="icon" href="data:,">\n'
    for l_1_feed in environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'alternates'):
        _loop_vars = {}
        pass
        yield '<link rel="alternate" type="'
        yield escape(environment.getattr(l_1_feed, 'media_type'))
        yield '" title="'
        yield escape(environment.getattr(l_1_feed, 'title'))
        yield '（'
        yield escape(t_1(environment.getattr(l_1_feed, 'format')))
        yield '）" href="'
        yield escape(environment.getattr(l_1_feed, 'url'))
        yield '">\n'
    l_1_feed = missing
    yield '</head>\n<body>\n<a class="skip" href="#main">跳到正文</a>\n<header class="site">\n<p class="site-name"><a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'index.html">'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))
    yield '</a></p>\n<nav aria-label="全站">\n<ul>\n<li><a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'index.html">首页</a></li>\n<li><a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'archive.html">往期目录</a></li>\n<li><a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'index.html#subscribe">订阅</a></li>\n</ul>\n</nav>\n</header>\n<main id="main">\n'
    yield from context.blocks['main'][0](context)
    yield '</main>\n<footer class="site">\n<p>'
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'description'))
    yield '</p>\n<p><a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'feeds.opml">全部订阅源（OPML 文件）</a> · <a href="'
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'root'))
    yield 'archive.html">全部往期</a></p>\n</footer>\n</body>\n</html>\n'

def block_title(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_page = resolve('page')
    l_0_site = resolve('site')
    pass
    yield escape(environment.getattr((undefined(name='page') if l_0_page is missing else l_0_page), 'title'))
    yield ' · '
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'title'))

def block_description(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    l_0_site = resolve('site')
    pass
    yield escape(environment.getattr((undefined(name='site') if l_0_site is missing else l_0_site), 'description'))

def block_main(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    _block_vars = {}
    pass

blocks = {'title': block_title, 'description': block_description, 'main': block_main}
debug_info = '2=20&7=22&8=24&9=26&10=28&12=30&13=34&19=44&22=48&23=50&24=52&29=54&32=56&33=58&7=63&8=77&29=88'