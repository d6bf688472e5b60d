// elasticsearch.yml: flat and nested keys, lists in both forms, and the
// exact FILE:LINE of every refusal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "eslaunch/es_config.hpp"

namespace eslaunch {
namespace {

using ::testing::ElementsAre;

constexpr const char* yml = "/etc/es/elasticsearch.yml";

EsSettings parse_ok(std::string_view text) {
    auto s = parse_es_settings(text, yml);
    if (!s) {
        ADD_FAILURE() << s.error().front().str();
        return {};
    }
    return std::move(*s);
}

TEST(EsConfig, FlatAndNestedKeysAreTheSameSettings) {
    const EsSettings flat = parse_ok(
        "# a comment\n"
        "cluster.name: prod\n"
        "node.master: true\n"
        "node.data: false\n"
        "http.port: 9201\n"
        "discovery.zen.minimum_master_nodes: 2\n");
    const EsSettings nested = parse_ok(
        "cluster:\n"
        "  name: prod\n"
        "node:\n"
        "  master: true\n"
        "  data: false\n"
        "http: {port: 9201}\n"
        "discovery:\n"
        "  zen.minimum_master_nodes: 2\n");
    for (const EsSettings* s : {&flat, &nested}) {
        EXPECT_EQ(s->get("cluster.name"), "prod");
        EXPECT_EQ(s->get("node.master"), "true");
        EXPECT_EQ(s->get("node.data"), "false");
        EXPECT_EQ(s->get("http.port"), "9201");
        EXPECT_EQ(s->get("discovery.zen.minimum_master_nodes"), "2");
        EXPECT_EQ(s->get("node.name"), std::nullopt);
        EXPECT_FALSE(s->has("node"));
        EXPECT_EQ(s->all().size(), 5U);
    }
    // Each setting keeps the line of its own key.
    EXPECT_EQ(flat.line_of("node.data"), 4);
    EXPECT_EQ(nested.line_of("node.data"), 5);
    EXPECT_EQ(nested.line_of("discovery.zen.minimum_master_nodes"), 8);
    EXPECT_EQ(nested.where("http.port"), "/etc/es/elasticsearch.yml:6");
    EXPECT_EQ(nested.where("node.name"), "/etc/es/elasticsearch.yml");
    EXPECT_EQ(nested.line_of("node.name"), 0);
}

TEST(EsConfig, ListsInEveryForm) {
    const EsSettings s = parse_ok(
        "discovery.seed_hosts:\n"
        "  - 10.0.0.1\n"
        "  - \"10.0.0.2:9300\"\n"
        "cluster.initial_master_nodes: [\"m1\", m2]\n"
        "discovery.zen.ping.unicast.hosts: \"a, b,,c \"\n"
        "node.roles: []\n"
        "network.host: _site_\n");
    EXPECT_THAT(s.list("discovery.seed_hosts"), ElementsAre("10.0.0.1", "10.0.0.2:9300"));
    EXPECT_THAT(s.list("cluster.initial_master_nodes"), ElementsAre("m1", "m2"));
    EXPECT_THAT(s.list("discovery.zen.ping.unicast.hosts"), ElementsAre("a", "b", "c"));
    EXPECT_THAT(s.list("network.host"), ElementsAre("_site_"));
    EXPECT_TRUE(s.has("node.roles"));  // an empty list is set: a coordinating-only node
    EXPECT_TRUE(s.list("node.roles").empty());
    EXPECT_TRUE(s.all().at("node.roles").is_list);
    EXPECT_FALSE(s.all().at("network.host").is_list);
    EXPECT_EQ(s.get("cluster.initial_master_nodes"), "m1,m2");
    EXPECT_TRUE(s.list("path.data").empty());
    EXPECT_EQ(s.line_of("cluster.initial_master_nodes"), 4);
    // get() joins every item, an empty first one too (found by fuzz_yml).
    EXPECT_EQ(parse_ok("a: [\"\", b]\n").get("a"), ",b");
}

TEST(EsConfig, ValuesStayAsWrittenAndNullIsUnset) {
    const EsSettings s = parse_ok(
        "node.name: ${HOSTNAME}\n"
        "a: 'quoted: yes'\n"
        "b: \"null\"\n"
        "c:\n"
        "d: ~\n"
        "e: &port 9300\n"
        "f: *port\n"
        "g: 1.10\n");
    EXPECT_EQ(s.get("node.name"), "${HOSTNAME}");
    EXPECT_EQ(s.get("a"), "quoted: yes");
    EXPECT_EQ(s.get("b"), "null");
    EXPECT_FALSE(s.has("c"));
    EXPECT_FALSE(s.has("d"));
    EXPECT_EQ(s.get("f"), "9300");
    EXPECT_EQ(s.get("g"), "1.10");  // as written, not as a number
}

TEST(EsConfig, EmptyAndCommentOnlyFiles) {
    EXPECT_TRUE(parse_ok("").all().empty());
    EXPECT_TRUE(parse_ok("# nothing here\n\n").all().empty());
    EXPECT_TRUE(parse_ok("---\n").all().empty());
}

TEST(EsConfig, RefusalsNameFileAndLine) {
    struct Case {
        std::string_view text;
        std::string error;  // the first error, as printed
    };
    const std::vector<Case> cases = {
        {"a: [1\nb: 2\n",
         "/etc/es/elasticsearch.yml:2: YAML: end of sequence flow not found; Elasticsearch refuses the file too; fix "
         "the syntax"},
        {"a: 1\n  b: 2\n",
         "/etc/es/elasticsearch.yml:2: YAML: illegal map value; Elasticsearch refuses the file too; fix the syntax"},
        {"node.master: true\nnode:\n  data: true\n  master: false\n",
         "/etc/es/elasticsearch.yml:4: 'node.master' is set twice, on lines 1 and 4; keep one: Elasticsearch 5.0 and "
         "later refuse duplicate keys (also `a.b` beside `a: {b: ...}`), 2.x keeps one silently"},
        {"http.port: 9200\nhttp.port: 9201\n",
         "/etc/es/elasticsearch.yml:2: 'http.port' is set twice, on lines 1 and 2; keep one: Elasticsearch 5.0 and "
         "later refuse duplicate keys (also `a.b` beside `a: {b: ...}`), 2.x keeps one silently"},
        {"- a\n- b\n",
         "/etc/es/elasticsearch.yml:1: the file is not a mapping of settings; write one setting per line, `name: "
         "value` (e.g. `cluster.name: prod`)"},
        {"just text\n",
         "/etc/es/elasticsearch.yml:1: the file is not a mapping of settings; write one setting per line, `name: "
         "value` (e.g. `cluster.name: prod`)"},
        {"ok: 1\n? [a, b]\n: 3\n",
         "/etc/es/elasticsearch.yml:2: a key that is not text; write settings as `name: value`"},
        {"discovery.seed_hosts:\n  - host: a\n",
         "/etc/es/elasticsearch.yml:2: discovery.seed_hosts: a list item that is not a value; Elasticsearch settings "
         "take lists of values, e.g. [\"10.0.0.1\", \"10.0.0.2\"]"},
    };
    for (const auto& c : cases) {
        auto s = parse_es_settings(c.text, yml);
        ASSERT_FALSE(s) << c.text;
        EXPECT_EQ(s.error().front().str(), c.error) << c.text;
        EXPECT_EQ(s.error().front().status, 78);
    }
    // Every problem is reported, not only the first.
    auto two = parse_es_settings("a: 1\na: 2\nb: [x]\nb: y\n", yml);
    ASSERT_FALSE(two);
    ASSERT_EQ(two.error().size(), 2U);
    EXPECT_EQ(two.error()[1].line, 4);
}

// `keys` flat settings, one a line: k0: v, k1: v, ...
std::string flat_keys(std::size_t keys) {
    std::string text;
    for (std::size_t i = 0; i < keys; ++i) text += "k" + std::to_string(i) + ": v\n";
    return text;
}

// The text of line `line` (1-based) of `text`.
std::string line_text(const std::string& text, int line) {
    std::size_t start = 0;
    for (int i = 1; i < line && start != std::string::npos; ++i) {
        start = text.find('\n', start);
        if (start != std::string::npos) ++start;
    }
    if (start == std::string::npos) return {};
    return text.substr(start, text.find('\n', start) - start);
}

TEST(EsConfig, AsManyNodesAsTheLimitPassOneMoreIsRefusedAtItsLine) {
    auto at_limit = parse_es_settings(flat_keys(max_yml_nodes), yml);
    ASSERT_TRUE(at_limit) << at_limit.error().front().str();
    EXPECT_EQ(at_limit->all().size(), max_yml_nodes);

    auto over = parse_es_settings(flat_keys(max_yml_nodes + 1), yml);
    ASSERT_FALSE(over);
    ASSERT_EQ(over.error().size(), 1U);
    const Error& e = over.error().front();
    EXPECT_EQ(e.status, 78);
    EXPECT_EQ(e.line, static_cast<int>(max_yml_nodes) + 1);
    EXPECT_THAT(e.what, ::testing::HasSubstr("more than " + std::to_string(max_yml_nodes) + " keys and list items"));
    EXPECT_THAT(e.hint, ::testing::HasSubstr("without YAML aliases"));
}

// Nine levels of ten keys, each level's values aliases of the level before:
// 871 bytes, 10^9 settings. Flow style puts each level on its own line;
// block style puts each alias use on its own line.
std::string alias_bomb(bool block) {
    std::string text;
    for (int level = 0; level < 9; ++level) {
        const std::string value = level == 0 ? "x" : "*l" + std::to_string(level - 1);
        text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + (block ? "\n" : " {");
        for (int k = 0; k < 10; ++k) {
            const std::string entry = "k" + std::to_string(k) + ": " + value;
            text += block ? "  " + entry + "\n" : (k == 0 ? "" : ", ") + entry;
        }
        if (!block) text += "}\n";
    }
    return text;
}

TEST(EsConfig, AnAliasBombIsOneErrorAtTheAliasThatReachedTheLimit) {
    EXPECT_EQ(alias_bomb(false).size(), 871U);
    for (bool block : {false, true}) {
        SCOPED_TRACE(block ? "block" : "flow");
        const std::string text = alias_bomb(block);
        auto s = parse_es_settings(text, yml);
        ASSERT_FALSE(s);
        ASSERT_EQ(s.error().size(), 1U) << s.error()[1].str();
        const Error& e = s.error().front();
        EXPECT_EQ(e.file, yml);
        EXPECT_THAT(e.what, ::testing::HasSubstr(std::to_string(max_yml_nodes)));
        // The line that uses an alias, not one inside the anchor's map.
        EXPECT_THAT(line_text(text, e.line), ::testing::HasSubstr(": *l")) << e.str();
    }
}

TEST(EsConfig, NamesAndValuesExpandedPastTheTextLimitAreRefused) {
    // A long value used through aliases, and a long key (YAML allows 1024
    // characters) in front of many keys: each reaches the limit after about
    // max_yml_text / its length keys, at the line of the key that does.
    const auto refused_near = [](const std::string& text, std::size_t length) {
        auto s = parse_es_settings(text, yml);
        ASSERT_FALSE(s);
        ASSERT_EQ(s.error().size(), 1U);
        const Error& e = s.error().front();
        EXPECT_THAT(e.what, ::testing::HasSubstr(std::to_string(max_yml_text >> 20) + " MiB"));
        EXPECT_GE(static_cast<std::size_t>(e.line), max_yml_text / length * 99 / 100) << e.str();  // + the names
        EXPECT_LE(static_cast<std::size_t>(e.line), max_yml_text / length + 2) << e.str();
    };
    const std::string long_value(64 * 1024, 'x');
    std::string scalar_aliases = "v: &v " + long_value + "\n";
    for (std::size_t i = 0; i * long_value.size() <= max_yml_text; ++i) {
        scalar_aliases += "k" + std::to_string(i) + ": *v\n";
    }
    refused_near(scalar_aliases, long_value.size());
    const std::string long_key(1000, 'p');
    std::string long_prefix = long_key + ":\n";
    for (std::size_t i = 0; i * long_key.size() <= max_yml_text; ++i) {
        long_prefix += "  k" + std::to_string(i) + ": 1\n";
    }
    refused_near(long_prefix, long_key.size());
}

// `levels` maps inside one another, a key on each line: k0:, k1:, ... v: 1.
std::string nested_maps(int levels) {
    std::string text;
    for (int i = 0; i + 1 < levels; ++i) {
        text += std::string(static_cast<std::size_t>(i), ' ') + "k" + std::to_string(i) + ":\n";
    }
    return text + std::string(static_cast<std::size_t>(levels - 1), ' ') + "v: 1\n";
}

TEST(EsConfig, NestingIsBoundedBeforeTheStackIs) {
    auto at_limit = parse_es_settings(nested_maps(max_yml_depth), yml);
    ASSERT_TRUE(at_limit) << at_limit.error().front().str();
    EXPECT_EQ(at_limit->all().size(), 1U);

    auto over = parse_es_settings(nested_maps(max_yml_depth + 1), yml);
    ASSERT_FALSE(over);
    ASSERT_EQ(over.error().size(), 1U);
    EXPECT_EQ(over.error().front().line, max_yml_depth);
    EXPECT_THAT(over.error().front().what, ::testing::HasSubstr(std::to_string(max_yml_depth) + " levels"));

    // yaml-cpp's parser has a bound of its own (DeepRecursion), with a mark.
    const std::string flow = "a: " + std::string(5000, '[') + std::string(5000, ']') + "\n";
    auto deep = parse_es_settings(flow, yml);
    ASSERT_FALSE(deep);
    EXPECT_EQ(deep.error().front().line, 1);
    EXPECT_EQ(deep.error().front().what, "YAML: nested too deep for the YAML parser");

    // yaml-cpp lets an alias name the map it is in: a cycle, not a crash.
    for (std::string_view cycle : {"a: &a {b: *a}\n", "x: 1\na: &a\n  b:\n    c: *a\n"}) {
        auto s = parse_es_settings(cycle, yml);
        ASSERT_FALSE(s) << cycle;
        EXPECT_THAT(s.error().front().what, ::testing::HasSubstr("is an alias of a map that holds it")) << cycle;
        EXPECT_EQ(s.error().size(), 1U);
    }
}

TEST(EsConfig, ErrorsStopAfterTheLimitWithOneThatSaysSo) {
    std::string text;
    for (std::size_t i = 0; i < 2 * max_yml_errors; ++i) text += "a: " + std::to_string(i) + "\n";
    auto s = parse_es_settings(text, yml);
    ASSERT_FALSE(s);
    ASSERT_EQ(s.error().size(), max_yml_errors + 1);
    EXPECT_EQ(s.error().back().what,
              "more than " + std::to_string(max_yml_errors) + " problems; the rest are not shown");
    EXPECT_EQ(s.error().back().line, static_cast<int>(max_yml_errors) + 2);
    // A long key is cut where it is echoed.
    auto twice = parse_es_settings(std::string(1000, 'k') + ": 1\n" + std::string(1000, 'k') + ": 2\n", yml);
    ASSERT_FALSE(twice);
    EXPECT_LT(twice.error().front().str().size(), 400U);
}

TEST(EsConfig, ReadsFiles) {
    char tmpl[] = "/tmp/eslaunch-es-config.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::filesystem::path dir = tmpl;
    std::ofstream(dir / "elasticsearch.yml") << "cluster.name: from-file\nhttp:\n  port: 9205\n";
    auto s = read_es_settings((dir / "elasticsearch.yml").string());
    ASSERT_TRUE(s) << s.error().front().str();
    EXPECT_EQ(s->get("http.port"), "9205");
    EXPECT_EQ(s->file, (dir / "elasticsearch.yml").string());
    EXPECT_EQ(s->where("http.port"), (dir / "elasticsearch.yml").string() + ":3");

    auto missing = read_es_settings((dir / "nope.yml").string());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().front().str(), (dir / "nope.yml").string() +
                                                 ": cannot open: No such file or directory; check the path, or "
                                                 "es_path_conf= in the spec");
    auto directory = read_es_settings(dir.string());
    ASSERT_FALSE(directory);
    EXPECT_EQ(directory.error().front().what, "not a regular file");
    std::ofstream(dir / "big.yml") << std::string(1024 * 1024 + 1, '#');
    auto big = read_es_settings((dir / "big.yml").string());
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().front().what, "file is 1048577 bytes, over the limit of 1048576 (1 MiB)");
    std::filesystem::remove_all(dir);
}

TEST(EsConfig, CommandLineSettingsWin) {
    EsSettings s = parse_ok("http.port: 9200\npath.data: /var/lib/es\n");
    const std::vector<std::string> argv = {"/opt/es/bin/elasticsearch", "-Ehttp.port=9201", "-E", "node.name=n1",
                                           "-d", "-p", "/run/es.pid", "-Des.path.logs=/var/log/es",
                                           "--cluster.name", "c1", "--network.host=10.0.0.1", "--verbose", "-E"};
    EXPECT_THAT(apply_command_line_settings(s, argv),
                ElementsAre("http.port", "node.name", "path.logs", "cluster.name", "network.host"));
    EXPECT_EQ(s.get("http.port"), "9201");
    EXPECT_EQ(s.where("http.port"), "command= (-Ehttp.port=9201)");
    EXPECT_EQ(s.line_of("http.port"), 0);
    EXPECT_EQ(s.get("node.name"), "n1");
    EXPECT_EQ(s.where("node.name"), "command= (-E node.name=n1)");
    EXPECT_EQ(s.get("path.logs"), "/var/log/es");
    EXPECT_EQ(s.get("cluster.name"), "c1");
    EXPECT_EQ(s.get("network.host"), "10.0.0.1");
    EXPECT_EQ(s.get("path.data"), "/var/lib/es");
    EXPECT_EQ(s.line_of("path.data"), 2);
}

}  // namespace
}  // namespace eslaunch
