"""Writes jinja_cases.json: small templates rendered by Python's jinja2 in the environment
transformers' apply_chat_template compiles chat templates in (its tojson, namespace(),
trim_blocks, lstrip_blocks). tests/chat/jinja_renderer_test.cpp checks tokprob's engine against them.

    /work/venv/bin/python tests/data/chat/make_jinja_cases.py > tests/data/chat/jinja_cases.json
"""
import json
from transformers.utils.chat_template_utils import _compile_jinja_template
cases = [
 ("for_loop_variables", "{% for x in items %}{{ loop.index0 }}/{{ loop.index }}/{{ loop.length }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}:{{ x }} {% endfor %}", {"items": ["a","b","c"]}),
 ("if_elif_else", "{% for n in [1,2,3,4] %}{% if n == 1 %}one{% elif n < 3 %}small{% elif n is divisibleby 3 %}three{% else %}big{% endif %},{% endfor %}", {}),
 ("set_in_loop_is_per_iteration", "{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = i * 10 %}{{ x }}{% endfor %}{{ x }}", {}),
 ("namespace_survives_loop", "{% set ns = namespace(n=0, last='') %}{% for i in [3,4,5] %}{% set ns.n = ns.n + i %}{% set ns.last = i ~ '' %}{% endfor %}{{ ns.n }} {{ ns.last }}", {}),
 ("whitespace_control", "a  \n  {%- if true -%}  \n  b  \n  {%- endif %}\n  c {{- ' d ' -}} e", {}),
 ("trim_and_lstrip_blocks", "<ul>\n    {% for x in [1, 2] %}\n    <li>{{ x }}</li>\n    {% endfor %}\n</ul>\n", {}),
 ("lstrip_blocks_off_with_plus", "x\n    {%+ if true %}y{% endif %}\n    {# note #}\nz", {}),
 ("string_methods", "{{ '  hi  '.strip() }}|{{ 'xxhixx'.lstrip('x') }}|{{ 'xxhixx'.rstrip('x') }}|{{ 'a<t>b'.split('<t>')[-1] }}|{{ 'a b  c'.split() }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}|{{ 'hello world'.title() }}|{{ 'aXa'.replace('a', 'b') }}|{{ 'Hi'.upper() }}{{ 'Hi'.lower() }}", {}),
 ("unicode_strip_and_slices", "[{{ s | trim }}][{{ s[::-1] }}][{{ s[1:] }}][{{ s[-2] }}][{{ s | length }}]", {"s": "\u3000\u00e9t\u00e9\U0001F600\u2003"}),
 ("list_slices", "{{ xs[1:] }}{{ xs[::-1] }}{{ xs[:-1] }}{{ xs[::2] }}{{ xs[5:] }}", {"xs": [1, 2, 3, 4]}),
 ("dict_access", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.keys() | list }}{{ d.get('a') }}{{ d.get('zz', 'none') }}{{ d['b'] }}{{ d.b }}{% for k, v in d | items %}{{ k }}{% endfor %}", {"d": {"a": 1, "b": [1, "x"]}}),
 ("tojson_like_python", "{{ v | tojson }}\n{{ v | tojson(indent=2) }}\n{{ 'caf\u00e9 \"q\" <b>' | tojson }}", {"v": {"name": "f", "n": 1.5, "ok": True, "none": None, "xs": [1, 2], "e": {}}}),
 ("filters", "{{ xs | join(', ') }}|{{ xs | first }}|{{ xs | last }}|{{ u | default('dflt') }}|{{ '' | default('e', true) }}|{{ 'Ab' | upper }}{{ 'Ab' | lower }}|{{ '42' | int + 1 }}|{{ 3 | string ~ 'x' }}|{{ xs | length }}|{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | join }}|{{ ms | rejectattr('role', 'equalto', 'user') | list | length }}|{{ xs | reject('equalto', 'b') | join }}", {"xs": ["a", "b", "c"], "ms": [{"role": "user", "content": "u1"}, {"role": "assistant", "content": "a1"}, {"role": "user", "content": "u2"}]}),
 ("tests", "{{ u is defined }}{{ xs is defined }}{{ n is none }}{{ s is string }}{{ d is mapping }}{{ xs is iterable }}{{ s is iterable }}{{ d is string }}{{ f is false }}{{ 0 is false }}{{ xs is not none }}{{ 2 is even }}{{ 'a' in s }}{{ 'k' in d }}{{ 2 not in xs }}", {"xs": [1], "n": None, "s": "abc", "d": {"k": 1}, "f": False}),
 ("arithmetic_and_printing", "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 3 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 1e20 }} {{ 0.1 + 0.2 }} {{ none }} {{ true }} {{ [1, 'a', none] }} {{ {'a': 1} }} {{ 'a' ~ 1 ~ none }} {{ 'ab' * 2 }}", {}),
 ("conditional_expression_and_boolean_ops", "{{ 'y' if x else 'n' }}{{ 'y' if not x else 'n' }}{{ x and 'A' }}{{ x or 'B' }}{{ (1 if false) is defined }}", {"x": 0}),
 ("macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(name='c') }}", {}),
 ("loop_controls_and_filter", "{% for x in range(10) if x % 2 == 0 %}{% if x > 6 %}{% break %}{% endif %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{{ loop.length }},{% endfor %}{% for y in [] %}no{% else %}empty{% endfor %}", {}),
 ("set_block_and_comment", "{% set block %}  inner {{ 1 + 1 }} {% endset %}[{{ block }}]{# a comment #}\n[end]", {}),
 ("undefined_prints_empty", "[{{ missing }}][{{ d.nothing }}][{{ missing | length }}]{% for x in missing %}x{% endfor %}", {"d": {}}),
]
out = []
for name, src, vars_ in cases:
    t = _compile_jinja_template(src)
    out.append({"name": name, "template": src, "variables": vars_, "expected": t.render(**vars_)})
print(json.dumps(out, ensure_ascii=False, indent=1))
