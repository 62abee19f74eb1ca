/*
 * Templates print what Go's text/template with Docker's functions prints; the
 * expected strings are Go's (and Docker's) output for the same data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/strutil.h"
#include "util/template.h"

/* Shaped as docker inspect's output, plus a few plain values. */
static const char sample_json[] =
	"{\"Id\":\"abc123\",\"Created\":\"2024-01-02T03:04:05.678Z\",\"Name\":\"/web\","
	"\"State\":{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,\"Pid\":1234,"
	"\"Health\":null},"
	"\"Config\":{\"Env\":[\"PATH=/usr/bin\",\"HOME=/root\"],"
	"\"Labels\":{\"com.example.vendor\":\"ACME\",\"version\":\"1.0\"},"
	"\"Cmd\":[\"sh\",\"-c\",\"echo <hi> & bye\"],\"Volumes\":null,\"Tty\":false},"
	"\"NetworkSettings\":{\"Ports\":{\"80/"
	"tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]},"
	"\"Networks\":{\"bridge\":{\"IPAddress\":\"172.17.0.2\"}}},"
	"\"L\":[\"a\",\"b\",\"c\"],\"M\":{\"b\":2,\"a\":1,\"c\":3},\"N\":42,\"F\":0.5,"
	"\"Big\":1000000.0,\"S\":\"str\",\"A\":\"x\",\"B\":true,\"Z\":0,\"E\":[],\"O\":{},"
	"\"Nested\":{\"L\":[1,\"two\",null,{\"k\":[true]}]}}";

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &je);

	if (!j)
		fail_msg("bad test JSON: %s", je.text);
	return j;
}

/* Runs text against data (JSON text) with opts; returns the output or the error. */
static char *run(const char *text, const char *data, enum template_parse_flags pflags,
		 const struct template_exec_opts *opts, bool *ok)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(template_freep) struct template *t = template_parse(text, pflags, &err);
	json_auto_t *j = load(data);
	struct strbuf sb = STRBUF_INIT;

	*ok = false;
	if (!t) {
		assert_int_equal(err->kind, BERTH_ERR_INVALID);
		return xasprintf("parse: %s", err->msg);
	}
	if (template_execute_opts(t, j, opts, &sb, &err) < 0) {
		assert_int_equal(err->kind, BERTH_ERR_INVALID);
		assert_int_equal(sb.len, 0);
		strbuf_release(&sb);
		return xasprintf("exec: %s", err->msg);
	}
	*ok = true;
	return strbuf_detach(&sb);
}

static void expect(const char *text, const char *data, const struct template_exec_opts *opts,
		   const char *want, bool want_ok)
{
	bool ok;
	_cleanup_free_ char *got = run(text, data, 0, opts, &ok);

	if (strcmp(got, want) != 0 || ok != want_ok)
		print_error("template: %s\n", text);
	assert_string_equal(got, want);
	assert_true(ok == want_ok);
}

/* The output of text on the sample data. */
static void check(const char *text, const char *want)
{
	expect(text, sample_json, NULL, want, true);
}

static void check_data(const char *text, const char *data, const char *want)
{
	expect(text, data, NULL, want, true);
}

static void check_exec_err(const char *text, const char *want)
{
	_cleanup_free_ char *msg = xasprintf("exec: %s", want);

	expect(text, sample_json, NULL, msg, false);
}

static void check_parse_err(const char *text, const char *want)
{
	_cleanup_free_ char *msg = xasprintf("parse: %s", want);

	expect(text, sample_json, NULL, msg, false);
}

static void test_fields(void **state)
{
	(void)state;
	check("{{.State.Status}} {{.State.ExitCode}} {{range .Config.Env}}{{.}} {{end}}",
	      "running 0 PATH=/usr/bin HOME=/root ");
	check("{{.Id}} {{.Name}} {{.State.Running}} {{.State.Pid}}", "abc123 /web true 1234");
	check("{{.NetworkSettings.Networks.bridge.IPAddress}}", "172.17.0.2");
	check("{{$.Name}} {{$.State.Status}}", "/web running");
	check("{{.State.Health}} {{.Config.Volumes}} {{.Config.Tty}}", "<nil> <nil> false");
	check("{{.L}} {{.E}} {{.O}}", "[a b c] [] map[]");
	check("{{.M}}", "map[a:1 b:2 c:3]");
	check("{{.Config.Labels}}", "map[com.example.vendor:ACME version:1.0]");
	check("{{.Nested}}", "map[L:[1 two <nil> map[k:[true]]]]");
	check("{{.F}} {{.Big}} {{.N}}", "0.5 1e+06 42");
	check_data("{{.}}", "\"top\"", "top");
	check_data("{{.}}", "[1.5, 100000.0, 0.0001, 0.00001, 123456789.0, -2.5e-10]",
		   "[1.5 100000 0.0001 1e-05 1.23456789e+08 -2.5e-10]");
	check_data("{{.a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "deep");
}

static void test_json(void **state)
{
	(void)state;
	check("{{ json .Created }}", "\"2024-01-02T03:04:05.678Z\"");
	check("{{json .Config}}",
	      "{\"Env\":[\"PATH=/usr/bin\",\"HOME=/root\"],"
	      "\"Labels\":{\"com.example.vendor\":\"ACME\",\"version\":\"1.0\"},"
	      "\"Cmd\":[\"sh\",\"-c\",\"echo <hi> & bye\"],\"Volumes\":null,"
	      "\"Tty\":false}");
	check("{{json .State}}", "{\"Status\":\"running\",\"Running\":true,\"ExitCode\":0,"
				 "\"Pid\":1234,\"Health\":null}");
	check("{{json .L}} {{json .E}} {{json .O}} {{json .N}} {{json .F}} {{json .Big}}",
	      "[\"a\",\"b\",\"c\"] [] {} 42 0.5 1000000");
	check("{{json 1e21}} {{json 1e20}} {{json 0.0000001}} {{json 1.0}} {{json -0.000001}}",
	      "1e+21 100000000000000000000 1e-7 1 -0.000001");
	check("{{json \"a\\nb\\t\\x01\\\"\\\\ <&> \\u2028\"}}",
	      "\"a\\nb\\t\\u0001\\\"\\\\ <&> \\u2028\"");
	check("{{json true}} {{json nil}}", "true null");
	check("{{.Config | json}}{{\"\" | json}}",
	      "{\"Env\":[\"PATH=/usr/bin\",\"HOME=/root\"],"
	      "\"Labels\":{\"com.example.vendor\":\"ACME\",\"version\":\"1.0\"},"
	      "\"Cmd\":[\"sh\",\"-c\",\"echo <hi> & bye\"],\"Volumes\":null,\"Tty\":false}\"\"");
}

static void test_index_slice(void **state)
{
	(void)state;
	check("{{index .Config.Labels \"version\"}}", "1.0");
	check("[{{index .Config.Labels \"nope\"}}] [{{index .O \"nope\"}}]", "[] []");
	check("[{{index .Config.Volumes \"nope\"}}]", "[]");
	check("{{index .M \"zz\"}}", "<no value>");
	check("{{index .L 1}} {{index .L 0}}", "b a");
	check("{{index .NetworkSettings.Ports \"80/tcp\" 0 \"HostPort\"}}", "8080");
	check("{{(index (index .NetworkSettings.Ports \"80/tcp\") 0).HostPort}}", "8080");
	check("{{index .Nested.L 3 \"k\" 0}} {{index \"abc\" 1}}", "true 98");
	check("{{slice .L 1}} {{slice .L 1 2}} {{slice .L 0 1 2}} {{slice .L}}",
	      "[b c] [b] [a] [a b c]");
	check("{{slice \"hello\" 1 3}} {{slice \"hello\" 2}}", "el llo");
	check_exec_err("{{index .L 3}}",
		       "template: :1:2: executing \"\" at <index .L 3>: error calling index: "
		       "index out of range: 3");
	check_exec_err("{{index .L \"x\"}}",
		       "template: :1:2: executing \"\" at <index .L \"x\">: error calling index: "
		       "cannot index slice/array with type string");
	check_exec_err("{{index .N 1}}", "template: :1:2: executing \"\" at <index .N 1>: "
					 "error calling index: can't index item of type int");
	check_exec_err("{{slice .L 2 1}}", "template: :1:2: executing \"\" at <slice .L 2 1>: "
					   "error calling slice: invalid slice index: 2 > 1");
	check_exec_err("{{slice \"abc\" 0 1 2}}",
		       "template: :1:2: executing \"\" at <slice \"abc\" 0 1 2>: error calling "
		       "slice: cannot 3-index slice a string");
}

static void test_conditionals(void **state)
{
	const char *t = "{{if eq .A \"x\"}}y{{else if .B}}z{{else}}w{{end}}";

	(void)state;
	check_data(t, "{\"A\":\"x\",\"B\":false}", "y");
	check_data(t, "{\"A\":\"q\",\"B\":true}", "z");
	check_data(t, "{\"A\":\"q\",\"B\":false}", "w");
	check("{{if .E}}a{{else}}b{{end}}{{if .O}}a{{else}}b{{end}}{{if .Z}}a{{else}}b{{end}}",
	      "bbb");
	check("{{if .State.Health}}a{{else}}b{{end}}{{if .S}}c{{end}}{{if 0.0}}d{{end}}", "bc");
	check("{{with .State}}{{.Status}}{{end}} {{with .E}}a{{else}}b{{end}}", "running b");
	check("{{with .Z}}a{{else with .S}}{{.}}{{end}}", "str");
	check("{{with $s := .State.Status}}{{$s}}{{.}}{{end}}", "runningrunning");
	check("{{if and .B (not .E)}}yes{{end}} {{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"z\"}} "
	      "{{or 0 \"\"}}|",
	      "yes 0 2 z |");
	check("{{and .Z .NoSuch}}", "0");
	check("{{or .B .NoSuch}}", "true");
	check("{{eq .A \"y\" \"x\"}} {{eq .N 42}} {{ne .S \"str\"}} {{eq .State.Health nil}}",
	      "true true false true");
	check("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2.5}} {{lt \"a\" \"ab\"}}",
	      "true true true false true");
	check("{{if gt (len .L) 2}}many{{end}}", "many");
	check_exec_err("{{eq .N 42.0}}", "template: :1:2: executing \"\" at <eq .N 42.0>: "
					 "error calling eq: incompatible types for comparison");
	check_exec_err("{{lt .B true}}", "template: :1:2: executing \"\" at <lt .B true>: "
					 "error calling lt: invalid type for comparison");
	check_exec_err("{{eq .L .L}}", "template: :1:2: executing \"\" at <eq .L .L>: error "
				       "calling eq: non-comparable types [a b c]: []interface {}, "
				       "[]interface {}: [a b c]");
}

static void test_range(void **state)
{
	(void)state;
	check("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", "a=1;b=2;c=3;");
	check("{{range .M}}{{.}}{{end}} {{range $v := .M}}{{$v}}{{end}}", "123 123");
	check("{{range $i, $e := .L}}{{$i}}:{{$e}} {{end}}", "0:a 1:b 2:c ");
	check("{{range .E}}x{{else}}empty{{end}} {{range .Config.Volumes}}x{{else}}none{{end}}",
	      "empty none");
	check("{{range .L}}{{if eq . \"b\"}}{{break}}{{end}}{{.}}{{end}}", "a");
	check("{{range .L}}{{if eq . \"b\"}}{{continue}}{{end}}{{.}}{{end}}", "ac");
	check("{{range 3}}{{.}}{{end}} {{range $i := 2}}{{$i}}{{end}}", "012 01");
	check("{{range .L}}{{$.N}}{{end}}", "424242");
	check("{{range $k, $v := .NetworkSettings.Ports}}{{$k}}->{{(index $v 0).HostPort}}{{end}}",
	      "80/tcp->8080");
	check("{{range .Config.Env}}{{println .}}{{end}}", "PATH=/usr/bin\nHOME=/root\n");
	check("{{$n := 0}}{{range $n = .L}}{{end}}{{$n}}", "c");
	check_exec_err("{{range .S}}{{end}}",
		       "template: :1:8: executing \"\" at "
		       "<{{range .S}}{{end}}>: range can't iterate over str");
	check_exec_err("{{range $i, $v := 3}}{{end}}",
		       "template: :1:8: executing \"\" at <{{range $i, $v := 3}...>: can't use 3 "
		       "to iterate over more than one variable");
}

static void test_functions(void **state)
{
	(void)state;
	check("{{len .L}} {{len .M}} {{len .S}} {{len .E}} {{len .Config.Volumes}}", "3 3 3 0 0");
	check("{{join .L \",\"}} {{join .Config.Cmd \" \"}} [{{join .E \",\"}}]",
	      "a,b,c sh -c echo <hi> & bye []");
	check("{{split \"a:b:c\" \":\"}} {{len (split \"\" \",\")}} {{split \"héj\" \"\"}}",
	      "[a b c] 1 [h é j]");
	check("{{upper \"abc\"}} {{lower \"ABC\"}} {{title \"hello wide-world_x\"}}",
	      "ABC abc Hello Wide-World_x");
	check("[{{pad \"x\" 1 2}}] [{{pad \"\" 1 2}}] {{truncate \"abcdef\" 3}} "
	      "{{truncate \"ab\" 3}}",
	      "[ x  ] [] abc ab");
	check("{{print \"a\" 1 2 \"b\" nil}}|{{println \"a\" 1 2}}|{{print}}",
	      "a1 2b<nil>|a 1 2\n|");
	check("{{html \"<a href='x'>&\\\"\"}} {{urlquery \"a b&c=d/é\"}} {{js \"it's <b>\"}}",
	      "&lt;a href=&#39;x&#39;&gt;&amp;&#34; a+b%26c%3Dd%2F%C3%A9 "
	      "it\\'s \\u003Cb\\u003E");
	check("{{html 1 \"<\"}} {{not 0}} {{not .S}}", "1&lt; true false");
	check("{{.Config.Labels | len}} {{.S | upper | printf \"<%s>\"}}", "2 <STR>");
	check_exec_err("{{len .N}}", "template: :1:2: executing \"\" at <len .N>: "
				     "error calling len: len of type int");
	check_exec_err("{{upper .N}}", "template: :1:8: executing \"\" at <.N>: wrong type for "
				       "value; expected string; got int");
	check_exec_err("{{upper 3}}", "template: :1:8: executing \"\" at <3>: "
				      "expected string; found 3");
	check_exec_err("{{pad .S \"x\" 1}}", "template: :1:9: executing \"\" at <\"x\">: "
					     "expected integer; found \"x\"");
	check_exec_err("{{join .M \",\"}}",
		       "template: :1:7: executing \"\" at <.M>: wrong type "
		       "for value; expected []string; got map[string]interface {}");
	check_exec_err("{{join .Nested.L \",\"}}",
		       "template: :1:14: executing \"\" at <.Nested.L>: wrong type for value; "
		       "expected []string; got []interface {}");
	check_exec_err("{{upper}}", "template: :1:2: executing \"\" at <upper>: "
				    "wrong number of args for upper: want 1 got 0");
	check_exec_err("{{index}}", "template: :1:2: executing \"\" at <index>: "
				    "wrong number of args for index: want at least 1 got 0");
	check_exec_err("{{truncate .S -1}}",
		       "template: :1:2: executing \"\" at <truncate .S -1>: error calling "
		       "truncate: runtime error: slice bounds out of range [:-1]");
}

static void test_printf(void **state)
{
	(void)state;
	check("{{printf \"%s-%d\" .S .N}}", "str-42");
	check("{{.A | printf \"%q\"}}", "\"x\"");
	check("{{.S | printf \"%s-%s\" \"p\"}}", "p-str");
	check("{{printf \"%v|%v|%v|%v|%v\" .L .M .B .State.Health .F}}",
	      "[a b c]|map[a:1 b:2 c:3]|true|<nil>|0.5");
	check("{{printf \"%5s|%-5s|%.2s|%05d|%+d|% d|%x|%X|%#x|%o|%b|%c|%U|%t|%%\" \"ab\" \"ab\" "
	      "\"héllo\" -42 5 5 255 255 255 8 5 65 65 true}}",
	      "   ab|ab   |hé|-0042|+5| 5|ff|FF|0xff|10|101|A|U+0041|true|%");
	check("{{printf \"%f|%.2f|%8.3f|%-8.1f|%e|%g|%G|%v\" 3.14159 3.14159 3.14159 2.5 1234.5678 "
	      "0.00001 1e100 1e6}}",
	      "3.141590|3.14|   3.142|2.5     |1.234568e+03|1e-05|1E+100|1e+06");
	check("{{printf \"%q|%+q|%#q|%x|% x|%q\" \"a\\tb\\x00\" \"é\" \"ab\" \"hi\" \"hi\" 97}}",
	      "\"a\\tb\\x00\"|\"\\u00e9\"|`ab`|6869|68 69|'a'");
	check("{{printf \"%T %T %T %T %T %T\" 1 1.5 \"s\" true .L .M}}",
	      "int float64 string bool []interface {} map[string]interface {}");
	check("{{printf \"%*d|%-*d|%.*f\" 5 1 5 1 2 3.14159}}", "    1|1    |3.14");
	check("{{printf \"%s|%d\" .L .M}}",
	      "[a b c]|map[%!d(string=a):1 %!d(string=b):2 %!d(string=c):3]");
	check("{{printf \"%d|%s|%t|%f\" \"x\" 1 1 true}}",
	      "%!d(string=x)|%!s(int=1)|%!t(int=1)|%!f(bool=true)");
	check("{{printf \"%s %s\" \"a\"}} {{printf \"%s\" \"a\" 1 nil}} {{printf \"%\"}} "
	      "{{printf \"%d\" nil}}",
	      "a %!s(MISSING) a%!(EXTRA int=1, <nil>) %!(NOVERB) %!d(<nil>)");
	check("{{printf \"%6.2v|%v|%v\" 3.14159 1e21 123456789.0}}", "   3.1|1e+21|1.23456789e+08");
}

static void test_variables(void **state)
{
	(void)state;
	check("{{$x := 1}}{{$x = 2}}{{$x}}", "2");
	check("{{$x := .State}}{{$x.Status}} {{$x := \"shadow\"}}{{$x}}", "running shadow");
	check("{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", "21");
	check("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2");
	check("{{range $i, $v := .L}}{{end}}{{$}}",
	      "map[A:x B:true Big:1e+06 Config:map[Cmd:[sh "
	      "-c echo <hi> & bye] Env:[PATH=/usr/bin "
	      "HOME=/root] Labels:map[com.example.vendor:ACME "
	      "version:1.0] Tty:false Volumes:<nil>] "
	      "Created:2024-01-02T03:04:05.678Z E:[] F:0.5 "
	      "Id:abc123 L:[a b c] M:map[a:1 b:2 c:3] N:42 "
	      "Name:/web Nested:map[L:[1 two <nil> "
	      "map[k:[true]]]] NetworkSettings:map[Networks:"
	      "map[bridge:map[IPAddress:172.17.0.2]] Ports:"
	      "map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]]]"
	      " O:map[] S:str State:map[ExitCode:0 Health:<nil>"
	      " Pid:1234 Running:true Status:running] Z:0]");
	check("{{$l := .L}}{{index $l 2}} {{$l}}", "c [a b c]");
	check("{{$m := .NetworkSettings}}{{$m.Networks.bridge.IPAddress}}", "172.17.0.2");
	check("{{with $x := .S}}{{$x}}{{end}}", "str");
}

static void test_trim_and_comments(void **state)
{
	(void)state;
	check("  {{- .A -}}  \n x {{/* c */}} y {{- /* c2 */ -}} z", "xx  yz");
	check("a {{- 3 -}} b|{{3 -}} b|{{ -3 }}|{{-3}}", "a3b|3b|-3|-3");
	check("{{/* only */}}", "");
	check("{{- /* comment\nwith lines */ -}}\n\nafter", "after");
	check("{{range .L -}}\n  {{.}}\n{{- end}}", "abc");
	check("{{\n.A\n}}", "x");
}

static void test_literals(void **state)
{
	(void)state;
	check("{{\"a\\tb\"}} {{`raw\\t`}} {{\"\\x41\\u00e9\\101\\U0001F600\"}}",
	      "a\tb raw\\t Aé\x41\xf0\x9f\x98\x80");
	check("{{0x1F}} {{017}} {{0o17}} {{0b101}} {{1_000}} {{-0}} {{.5}} {{1e3}} {{0x1p4}} "
	      "{{1.0}} {{+7}}",
	      "31 15 15 5 1000 0 0.5 1000 16 1 7");
	check("{{'a'}} {{'\\n'}} {{'é'}}", "97 10 233");
	check("{{true}} {{false}} {{\"\"}}|", "true false |");
	check("{{printf \"%T %T %T\" 1 1.0 'a'}}", "int float64 int");
	check("{{(1)}} {{(\"s\")}} {{(.A)}}", "1 s x");
}

static void test_templates(void **state)
{
	(void)state;
	check("{{define \"T\"}}[{{.}}]{{end}}{{template \"T\" .A}}{{template \"T\" 5}}", "[x][5]");
	check("{{block \"B\" .N}}<{{.}}>{{end}}", "<42>");
	check("{{define \"T\"}}{{.Status}}{{end}}{{template \"T\" .State}}", "running");
	check("{{define \"T\"}}{{.}}{{end}}{{template \"T\"}}", "<no value>");
	check("{{define \"a\"}}{{end}}{{define \"a\"}}y{{end}}{{template \"a\"}}", "y");
	check_exec_err("{{template \"nope\"}}",
		       "template: :1:11: executing \"\" at <{{template \"nope\"}}>: template "
		       "\"nope\" not defined");
	check_exec_err("{{define \"T\"}}{{.Nope}}{{end}}{{template \"T\" .State}}",
		       "template: :1:16: executing \"T\" at <.Nope>: map has no entry for key "
		       "\"Nope\"");
	check_exec_err("{{define \"a\"}}{{template \"a\"}}{{end}}{{template \"a\"}}",
		       "template: :1:25: executing \"a\" at <{{template \"a\"}}>: exceeded maximum "
		       "template depth (1000)");
}

static void test_parse_errors(void **state)
{
	static const char *const cases[][2] = {
		{"{{.A", "template: :1: unclosed action"},
		{"{{.A}", "template: :1: bad character U+007D '}'"},
		{"x {{if .A}}y", "template: :1: unexpected EOF"},
		{"{{end}}", "template: :1: unexpected {{end}}"},
		{"{{else}}", "template: :1: unexpected {{else}}"},
		{"{{nosuch}}", "template: :1: function \"nosuch\" not defined"},
		{"{{.A | nosuch}}", "template: :1: function \"nosuch\" not defined"},
		{"{{$x}}", "template: :1: undefined variable \"$x\""},
		{"{{if .A}}{{$x := 1}}{{end}}{{$x}}", "template: :1: undefined variable \"$x\""},
		{"{{}}", "template: :1: missing value for command"},
		{"{{if}}{{end}}", "template: :1: missing value for if"},
		{"{{| .A}}", "template: :1: unexpected \"|\" in command"},
		{"{{.A | 3}}", "template: :1: non executable command in pipeline stage 2"},
		{"{{(1}}", "template: :1: unclosed left paren"},
		{"{{1)}}", "template: :1: unexpected right paren"},
		{"{{#}}", "template: :1: unexpected \"#\" in command"},
		{"{{\"abc}}", "template: :1: unterminated quoted string"},
		{"{{`abc}}", "template: :1: unterminated raw quoted string"},
		{"{{'ab'}}", "template: :1: malformed character constant: 'ab'"},
		{"{{\"\\q\"}}", "template: :1: invalid syntax"},
		{"{{3x}}", "template: :1: bad number syntax: \"3x\""},
		{"{{99999999999999999999}}",
		 "template: :1: integer overflow: \"99999999999999999999\""},
		{"{{/* x", "template: :1: unclosed comment"},
		{"{{/* x */ .A}}", "template: :1: comment ends before closing delimiter"},
		{"{{break}}", "template: :1: {{break}} outside {{range}}"},
		{"{{range .L}}{{continue 2}}{{end}}",
		 "template: :1: unexpected \"2\" in {{continue}}"},
		{"{{$x, $y := .L}}", "template: :1: too many declarations in command"},
		{"{{range $i, 3}}{{end}}", "template: :1: range can only initialize variables"},
		{"{{\"x\".Y}}", "template: :1: unexpected . after term \"\\\"x\\\"\""},
		{"{{define \"a\"}}x{{end}}{{define \"a\"}}y{{end}}",
		 "template: :1: template: multiple definition of template \"a\""},
		{"{{template .A}}", "template: :1: unexpected \".A\" in template clause"},
		{"a\n\nb {{if .A}}\n{{else}}{{else}}{{end}}",
		 "template: :4: expected end; found {{else}}"},
		{"{{.A\n\"x}}", "template: :2: unterminated quoted string in action started at :1"},
		{"{{.A ~}}", "template: :1: unexpected \"~\" in operand"},
		{"{{.A \x01}}", "template: :1: unrecognized character in action: U+0001"},
		{"{{1i}}", "template: :1: complex number 1i not supported"},
		{"{{1+2i}}", "template: :1: complex number 1+2i not supported"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_parse_err(cases[i][0], cases[i][1]);
}

static void test_exec_errors(void **state)
{
	(void)state;
	check_exec_err("{{.NoSuch}}", "template: :1:2: executing \"\" at <.NoSuch>: "
				      "map has no entry for key \"NoSuch\"");
	check_exec_err("x\n  {{.State.Nope}}", "template: :2:10: executing \"\" at <.State.Nope>: "
					       "map has no entry for key \"Nope\"");
	check_exec_err("{{range .NetworkSettings.Networks.nope}}{{end}}",
		       "template: :1:24: executing \"\" at <.NetworkSettings.Net...>: map has no "
		       "entry for key \"nope\"");
	check_exec_err("{{.State.Health.Status}}", "template: :1:8: executing \"\" at "
						   "<.State.Health.Status>: nil pointer evaluating "
						   "interface {}.Status");
	check_exec_err("{{.S.Len}}", "template: :1:4: executing \"\" at <.S.Len>: "
				     "can't evaluate field Len in type string");
	check_exec_err("{{.A \"x\"}}", "template: :1:2: executing \"\" at <.A>: "
				       "A is not a method but has arguments");
	check_exec_err("{{\"a\" \"b\"}}", "template: :1:2: executing \"\" at <\"a\">: "
					  "can't give argument to non-function \"a\"");
	check_exec_err("{{nil}}", "template: :1:2: executing \"\" at <nil>: nil is not a command");
	check_exec_err("{{$x = 1}}", "template: :1:2: executing \"\" at <$x>: "
				     "undefined variable: $x");
	check_exec_err("{{upper nil}}", "template: :1:8: executing \"\" at <nil>: "
					"cannot assign nil to string");
	check_exec_err("{{18446744073709551615}}",
		       "template: :1:2: executing \"\" at <18446744073709551615>: "
		       "18446744073709551615 overflows int");
}

static void test_missing_key_ok(void **state)
{
	const struct template_exec_opts opts = {.flags = TEMPLATE_EXEC_MISSING_KEY_OK};

	(void)state;
	expect("{{.NoSuch}} {{.NoSuch.Deeper}} {{.State.Nope}}", sample_json, &opts,
	       "<no value> <no value> <no value>", true);
	expect("{{json .NoSuch}} {{printf \"%v\" .NoSuch}} {{len .NoSuch}} {{if .NoSuch}}y{{end}}",
	       sample_json, &opts, "null <nil> 0 ", true);
	expect("{{upper .NoSuch}}", sample_json, &opts,
	       "exec: template: :1:8: executing \"\" at <.NoSuch>: invalid value; expected string",
	       false);
}

/* A method as Docker's container context has: .Label "key". */
static int label_method(void *userdata, const char *name, const json_t *receiver,
			json_t *const *args, size_t nargs, json_t **result,
			struct berth_error **err)
{
	const json_t *labels;

	(*(int *)userdata)++;
	if (strcmp(name, "Label") != 0)
		return 0;
	if (nargs != 1 || !json_is_string(args[0]))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "Label wants one string");
	labels = json_object_get(json_object_get(receiver, "Config"), "Labels");
	*result = json_incref(json_object_get(labels, json_string_value(args[0])));
	if (!*result)
		*result = json_string("");
	return 1;
}

static void test_method(void **state)
{
	int calls = 0;
	const struct template_exec_opts opts = {.method = label_method, .userdata = &calls};

	(void)state;
	expect("{{.Label \"version\"}}|{{.Label \"nope\"}}|{{\"com.example.vendor\" | .Label}}|"
	       "{{.State.Status}}",
	       sample_json, &opts, "1.0||ACME|running", true);
	assert_true(calls >= 5);
	expect("{{.Label}}", sample_json, &opts,
	       "exec: template: :1:2: executing \"\" at <.Label>: error calling Label: Label wants "
	       "one string",
	       false);
}

static void test_formatter(void **state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct template *t;
	bool ok;
	char *out;

	(void)state;
	t = template_parse("table {{.ID}}\\t{{.Image}}  ", TEMPLATE_PARSE_FORMATTER, &err);
	assert_non_null(t);
	assert_true(template_is_table(t));
	template_free(t);
	t = template_parse("{{.ID}}", TEMPLATE_PARSE_FORMATTER, &err);
	assert_non_null(t);
	assert_false(template_is_table(t));
	template_free(t);
	t = template_parse("table", TEMPLATE_PARSE_FORMATTER, &err);
	assert_non_null(t);
	assert_true(template_is_table(t));
	template_free(t);
	t = template_parse("table {{.ID}}", 0, &err);
	assert_non_null(t);
	assert_false(template_is_table(t));
	template_free(t);

	out = run("table {{.S}}\\t{{.N}}\\n ", sample_json, TEMPLATE_PARSE_FORMATTER, NULL, &ok);
	assert_true(ok);
	assert_string_equal(out, "str\t42\n");
	free(out);
	out = run("json", "{\"S\":\"<a>\",\"N\":1}", TEMPLATE_PARSE_FORMATTER, NULL, &ok);
	assert_string_equal(out, "{\"S\":\"<a>\",\"N\":1}");
	free(out);
	out = run("{{.S}}\\t{{.N}}", sample_json, 0, NULL, &ok);
	assert_string_equal(out, "str\\t42");
	free(out);
}

static void test_header(void **state)
{
	const struct template_exec_opts opts = {.flags = TEMPLATE_EXEC_HEADER};
	const char *headers = "{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\",\"Labels\":\"LABELS\"}";

	(void)state;
	expect("{{.ID}}\t{{json .Names}}\t{{upper .Labels}}\t{{truncate .ID 3}}\t{{pad .ID 1 1}}",
	       headers, &opts, "CONTAINER ID\tNAMES\tLABELS\tCONTAINER ID\t CONTAINER ID ", true);
	expect("{{join .Names \",\"}} {{split .Names \",\"}}", headers, &opts, "NAMES NAMES", true);
}

static void test_limits(void **state)
{
	const struct template_exec_opts steps = {.max_steps = 1000};
	const struct template_exec_opts output = {.max_output = 100};

	(void)state;
	expect("{{range 10}}{{.}}{{end}}", sample_json, &steps, "0123456789", true);
	expect("{{range 1000000000}}{{end}}", sample_json, &steps,
	       "exec: template: :1:8: executing \"\" at <{{range 1000000000}}...>: template "
	       "execution exceeded 1000 steps",
	       false);
	expect("{{range 10}}{{printf \"%20d\" .}}{{end}}", sample_json, &output,
	       "exec: template: :1:14: executing \"\" at <{{printf \"%20d\" .}}>: template output "
	       "exceeds 100 bytes",
	       false);
	expect("{{$x := \"ab\"}}{{range 10}}{{$x = printf \"%s%s\" $x $x}}{{end}}", sample_json,
	       &output,
	       "exec: template: :1:33: executing \"\" at <printf \"%s%s\" $x $x>: error calling "
	       "printf: output would exceed 100 bytes",
	       false);
	expect("{{pad \"x\" 1000 0}}", sample_json, &output,
	       "exec: template: :1:2: executing \"\" at <pad \"x\" 1000 0>: error calling pad: "
	       "output would exceed 100 bytes",
	       false);
}

static void test_reuse_and_append(void **state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(template_freep) struct template *t =
		template_parse("{{.S}}{{if .B}}!{{end}}", 0, &err);
	json_auto_t *a = load("{\"S\":\"one\",\"B\":true}");
	json_auto_t *b = load("{\"S\":\"two\"}");
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_non_null(t);
	strbuf_addstr(&sb, ">");
	assert_int_equal(template_execute(t, a, &sb, &err), 0);
	assert_string_equal(sb.buf, ">one!");
	assert_int_equal(template_execute(t, b, &sb, &err), -1);
	assert_string_equal(sb.buf, ">one!");
	assert_string_equal(
		err->msg,
		"template: :1:11: executing \"\" at <.B>: map has no entry for key \"B\"");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_index_slice),
		cmocka_unit_test(test_conditionals),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_trim_and_comments),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_exec_errors),
		cmocka_unit_test(test_missing_key_ok),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_formatter),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_reuse_and_append),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
