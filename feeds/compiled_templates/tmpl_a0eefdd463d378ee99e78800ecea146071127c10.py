from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'macros.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_articles = l_0_feed_list = l_0_issue_body = missing
    try:
        t_1 = environment.filters['href']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'href' found.")
    try:
        t_2 = environment.filters['join']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'join' found.")
    try:
        t_3 = environment.filters['safe']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'safe' found.")
    try:
        t_4 = environment.filters['upper']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'upper' found.")
    pass
    def macro(l_1_items, l_1_level):
        t_5 = []
        if l_1_items is missing:
            l_1_items = undefined("parameter 'items' was not provided", name='items')
        if l_1_level is missing:
            l_1_level = undefined("parameter 'level' was not provided", name='level')
        pass
        for l_2_a in l_1_items:
            _loop_vars = {}
            pass
            t_5.extend((
                '<article class="article">\n<h',
                escape(l_1_level),
                '><a href="',
                escape(t_1(environment.getattr(l_2_a, 'url'))),
                '">',
                escape(environment.getattr(l_2_a, 'title')),
                '</a></h',
                escape(l_1_level),
                '>\n',
            ))
            if environment.getattr(l_2_a, 'summary_html'):
                pass
                t_5.extend((
                    '<div class="summary">',
                    escape(t_3(environment.getattr(l_2_a, 'summary_html'))),
                    '</div>\n',
                ))
            if ((environment.getattr(l_2_a, 'author') or environment.getattr(l_2_a, 'source')) or environment.getattr(l_2_a, 'tags')):
                pass
                t_5.append(
                    '<ul class="meta">\n',
                )
                if environment.getattr(l_2_a, 'author'):
                    pass
                    t_5.extend((
                        '<li>作者：',
                        escape(environment.getattr(l_2_a, 'author')),
                        '</li>',
                    ))
                if environment.getattr(l_2_a, 'source'):
                    pass
                    t_5.extend((
                        '<li>来源：',
                        escape(environment.getattr(l_2_a, 'source')),
                        '</li>',
                    ))
                if environment.getattr(l_2_a, 'tags'):
                    pass
                    t_5.extend((
                        '<li>标签：',
                        escape(t_2(context.eval_ctx, environment.getattr(l_2_a, 'tags'), '、')),
                        '</li>',
                    ))
                t_5.append(
                    '</ul>\n',
                )
            t_5.append(
                '</article>\n',
            )
        l_2_a = missing
        return concat(t_5)
    context.exported_vars.add('articles')
    context.vars['articles'] = l_0_articles = Macro(environment, macro, 'articles', ('items', 'level'), False, False, False, context.eval_ctx.autoescape)
    yield '\n'
    def macro(l_1_groups, l_1_level, l_1_root):
        t_6 = []
        if l_1_groups is missing:
            l_1_groups = undefined("parameter 'groups' was not provided", name='groups')
        if l_1_level is missing:
            l_1_level = undefined("parameter 'level' was not provided", name='level')
        if l_1_root is missing:
            l_1_root = undefined("parameter 'root' was not provided", name='root')
        pass
        for l_2_group in l_1_groups:
            _loop_vars = {}
            pass
            t_6.extend((
                '<h',
                escape(l_1_level),
                '><a href="',
                escape(l_1_root),
                escape(environment.getattr(l_2_group, 'page')),
                '">',
                escape(environment.getattr(l_2_group, 'title')),
                '</a>',
            ))
            if (not environment.getattr(l_2_group, 'slug')):
                pass
                t_6.append(
                    '（全部栏目）',
                )
            t_6.extend((
                '</h',
                escape(l_1_level),
                '>\n<ul class="feed-urls">\n',
            ))
            for l_3_feed in environment.getattr(l_2_group, 'formats'):
                _loop_vars = {}
                pass
                t_6.extend((
                    '<li><span class="format">',
                    escape(t_4(environment.getattr(l_3_feed, 'format'))),
                    '</span> <a href="',
                    escape(environment.getattr(l_3_feed, 'url')),
                    '"><code>',
                    escape(environment.getattr(l_3_feed, 'url')),
                    '</code></a></li>\n',
                ))
            l_3_feed = missing
            t_6.append(
                '</ul>\n',
            )
        l_2_group = missing
        return concat(t_6)
    context.exported_vars.add('feed_list')
    context.vars['feed_list'] = l_0_feed_list = Macro(environment, macro, 'feed_list', ('groups', 'level', 'root'), False, False, False, context.eval_ctx.autoescape)
    yield '\n'
    def macro(l_1_issue, l_1_level, l_1_root):
        t_7 = []
        if l_1_issue is missing:
            l_1_issue = undefined("parameter 'issue' was not provided", name='issue')
        if l_1_level is missing:
            l_1_level = undefined("parameter 'level' was not provided", name='level')
        if l_1_root is missing:
            l_1_root = undefined("parameter 'root' was not provided", name='root')
        pass
        if environment.getattr(l_1_issue, 'intro_html'):
            pass
            t_7.extend((
                '<div class="intro">',
                escape(t_3(environment.getattr(l_1_issue, 'intro_html'))),
                '</div>\n',
            ))
        def t_8(fiter):
            for l_2_section in fiter:
                if environment.getattr(l_2_section, 'articles'):
                    yield l_2_section
        l_2_loop = missing
        for l_2_section, l_2_loop in LoopContext(t_8(environment.getattr(l_1_issue, 'sections')), undefined):
            _loop_vars = {}
            pass
            t_7.extend((
                '<section class="section" aria-labelledby="s',
                escape(environment.getattr(l_2_loop, 'index')),
                '">\n<h',
                escape(l_1_level),
                ' id="s',
                escape(environment.getattr(l_2_loop, 'index')),
                '">',
                escape(environment.getattr(l_2_section, 'name')),
                '</h',
                escape(l_1_level),
                '>\n',
                escape(context.call((undefined(name='articles') if l_0_articles is missing else l_0_articles), environment.getattr(l_2_section, 'articles'), (l_1_level + 1), _loop_vars=_loop_vars)),
                '\n<p class="more"><a href="',
                escape(l_1_root),
                'sections/',
                escape(environment.getattr(l_2_section, 'slug')),
                '/index.html">栏目“',
                escape(environment.getattr(l_2_section, 'name')),
                '”的全部文章</a></p>\n</section>\n',
            ))
        l_2_loop = l_2_section = missing
        return concat(t_7)
    context.exported_vars.add('issue_body')
    context.vars['issue_body'] = l_0_issue_body = Macro(environment, macro, 'issue_body', ('issue', 'level', 'root'), False, False, False, context.eval_ctx.autoescape)

blocks = {}
debug_info = '2=36&3=43&5=48&6=57&7=61&9=64&11=69&12=76&13=83&20=101&21=110&22=115&24=133&25=138&31=154&32=163&33=167&35=170&36=180&37=182&38=190&39=192'