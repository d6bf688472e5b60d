// Value syntaxes, table-driven: what each accepted text means, and the exact
// problem for each refused one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eslaunch/heap.hpp"
#include "eslaunch/limits.hpp"
#include "eslaunch/values.hpp"

namespace eslaunch {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

TEST(SplitCommand, MatchesShlexSplit) {
    // Expected values are what Python's shlex.split() returns for each input.
    struct Case {
        std::string_view text;
        std::vector<std::string> words;
    };
    const std::vector<Case> cases = {
        {"a b  c", {"a", "b", "c"}},
        {"  lead and trail  ", {"lead", "and", "trail"}},
        {"'a b' \"c d\"", {"a b", "c d"}},
        {"a'b'c", {"abc"}},
        {"\"\"", {""}},
        {"'' x", {"", "x"}},
        {"a\\ b", {"a b"}},
        {"\"a\\\"b\"", {"a\"b"}},
        {"\"a\\\\b\"", {"a\\b"}},
        {"\"a\\nb\"", {"a\\nb"}},
        {"'a\\b'", {"a\\b"}},
        {"a\nb\tc", {"a", "b", "c"}},
        {"x#y ;z", {"x#y", ";z"}},
        {"$HOME *", {"$HOME", "*"}},
        {"", {}},
    };
    for (const auto& c : cases) {
        auto words = split_command(c.text);
        ASSERT_TRUE(words) << c.text;
        EXPECT_EQ(*words, c.words) << c.text;
        auto again = split_command(join_words(*words));
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, c.words) << "join_words does not round-trip " << c.text;
    }
}

TEST(Bool, AcceptsSupervisordsSpellings) {
    for (auto t : {"true", "yes", "on", "1", "TRUE", "Yes"}) EXPECT_EQ(parse_bool(t).value(), true) << t;
    for (auto t : {"false", "no", "off", "0", "False"}) EXPECT_EQ(parse_bool(t).value(), false) << t;
    EXPECT_EQ(parse_bool("y").error().what, "'y' is not a boolean");
}

TEST(Duration, Units) {
    EXPECT_EQ(parse_duration("500ms", false)->value->count(), 500);
    EXPECT_EQ(parse_duration("90", false)->value->count(), 90'000);
    EXPECT_EQ(parse_duration("90s", false)->value->count(), 90'000);
    EXPECT_EQ(parse_duration("15min", false)->value->count(), 900'000);
    EXPECT_EQ(parse_duration("2h", false)->value->count(), 7'200'000);
    EXPECT_TRUE(parse_duration("infinity", true)->infinite());
    EXPECT_EQ(parse_duration("1500ms", false)->str(), "1500ms");
    EXPECT_EQ(parse_duration("120s", false)->str(), "2min");
    EXPECT_EQ(parse_duration("1.5s", false).error().what, "'1.5s' has an unknown unit '.5s'");
    EXPECT_EQ(parse_duration("s", false).error().what, "'s' is not a duration");
    EXPECT_EQ(parse_duration("99999999999999h", false).error().what, "'99999999999999h' is too long");
}

TEST(Umask, Octal) {
    EXPECT_EQ(parse_umask("022").value(), 022U);
    EXPECT_EQ(parse_umask("0").value(), 0U);
    EXPECT_EQ(parse_umask("0777").value(), 0777U);
    EXPECT_EQ(format_umask(027), "0027");
    EXPECT_EQ(parse_umask("1777").error().what, "'1777' is above 0777");
    EXPECT_FALSE(parse_umask("0o22"));
    EXPECT_FALSE(parse_umask("-22"));
}

TEST(IdRef, NamesAndNumbers) {
    EXPECT_EQ(parse_id_ref("work", IdKind::user)->id, std::nullopt);
    EXPECT_EQ(parse_id_ref("1000", IdKind::user)->id, 1000U);
    EXPECT_EQ(parse_id_ref("0", IdKind::user)->id, 0U);
    EXPECT_TRUE(parse_id_ref("host$", IdKind::user));
    EXPECT_TRUE(parse_id_ref("elastic.search-1_x", IdKind::group));
    EXPECT_FALSE(parse_id_ref("a:b", IdKind::user));
    EXPECT_FALSE(parse_id_ref(std::string(33, 'a'), IdKind::user));
    EXPECT_EQ(parse_id_ref("99999999999", IdKind::group).error().what, "group id 99999999999 is out of range");
}

TEST(StatusList, RangesAndSingles) {
    EXPECT_THAT(parse_status_list("200-499").value(), ElementsAre(StatusRange{200, 499}));
    EXPECT_THAT(parse_status_list("200,401,500-503").value(),
                ElementsAre(StatusRange{200, 200}, StatusRange{401, 401}, StatusRange{500, 503}));
    EXPECT_EQ(format_status_list(*parse_status_list("200,401,500-503")), "200,401,500-503");
    EXPECT_FALSE(parse_status_list("200,"));
    EXPECT_FALSE(parse_status_list("600"));
}

TEST(Ready, Probes) {
    auto http = parse_ready("http://127.0.0.1:9200/_cluster/health?local=true").value();
    EXPECT_EQ(http.kind, ReadyProbe::Kind::http);
    EXPECT_EQ(http.host, "127.0.0.1");
    EXPECT_EQ(http.port, 9200);
    EXPECT_EQ(http.path, "/_cluster/health?local=true");
    auto https = parse_ready("https://es.example.org").value();
    EXPECT_EQ(https.port, 443);
    EXPECT_EQ(https.path, "/");
    EXPECT_EQ(https.str(), "https://es.example.org:443/");
    auto v6 = parse_ready("http://[::1]:9200/").value();
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.str(), "http://[::1]:9200/");
    auto tcp = parse_ready("tcp://localhost:9300").value();
    EXPECT_EQ(tcp.kind, ReadyProbe::Kind::tcp);
    EXPECT_EQ(tcp.str(), "tcp://localhost:9300");
    auto exec = parse_ready("exec:/usr/bin/curl -fs 'http://x/'").value();
    EXPECT_THAT(exec.argv, ElementsAre("/usr/bin/curl", "-fs", "http://x/"));
    EXPECT_EQ(parse_ready("none")->kind, ReadyProbe::Kind::none);
    EXPECT_EQ(parse_ready("native")->kind, ReadyProbe::Kind::native);
    EXPECT_EQ(parse_ready("http://h:9200/a b").error().what, "'http://h:9200/a b': the path has characters a URL may not hold");
    // A CR or any control character would end the request line early (header injection).
    for (const char* bad : {"http://h:9200/a\rX-Injected: 1", "http://h:9200/a\x01", "https://h:9200/a\x7f"}) {
        EXPECT_THAT(parse_ready(bad).error().what, HasSubstr("the path has characters a URL may not hold")) << bad;
    }
    EXPECT_EQ(parse_ready("exec:'x").error().what, "ready command: the command has an unclosed single quote");
    EXPECT_EQ(parse_ready("http://h:/").error().what, "'http://h:/': port '' is not between 1 and 65535");
}

// An IPv6 literal takes the scheme's port unless ':PORT' follows its ']'.
TEST(Ready, BracketedHosts) {
    auto plain = parse_ready("http://[fe80::1]/x").value();
    EXPECT_EQ(plain.host, "fe80::1");
    EXPECT_EQ(plain.port, 80);
    EXPECT_EQ(plain.path, "/x");
    EXPECT_EQ(parse_ready("tcp://[::1]:9300")->port, 9300);
    const Problem after = parse_ready("http://[::1]9200/").error();
    EXPECT_EQ(after.what, "'http://[::1]9200/': text after ']'");
    EXPECT_THAT(after.hint, HasSubstr("tcp://HOST:PORT, http://HOST:PORT/PATH"));
    EXPECT_EQ(parse_ready("tcp://[::1]").error().what, "'tcp://[::1]' has no port");
    EXPECT_EQ(parse_ready("http://[::1]:0/").error().what, "'http://[::1]:0/': port '0' is not between 1 and 65535");
    // The parts are checked in order, the path first: one message, the first.
    EXPECT_EQ(parse_ready("tcp://u@[::1]:1/x").error().what, "'tcp://u@[::1]:1/x': a tcp:// probe has no path");
}

TEST(Limits, SystemdSyntax) {
    EXPECT_EQ(parse_limit(LimitResource::nofile, "65535").value(), (LimitValue{65535, 65535}));
    EXPECT_EQ(parse_limit(LimitResource::nofile, "1024:20000").value(), (LimitValue{1024, 20000}));
    EXPECT_EQ(parse_limit(LimitResource::nofile, "infinity").value(), (LimitValue{limit_infinity, limit_infinity}));
    EXPECT_EQ(parse_limit(LimitResource::nproc, "4096:infinity").value(), (LimitValue{4096, limit_infinity}));
    EXPECT_EQ(parse_limit(LimitResource::memlock, "64K").value(), (LimitValue{65536, 65536}));
    EXPECT_EQ(parse_limit(LimitResource::as, "2G:4G").value(), (LimitValue{2ULL << 30, 4ULL << 30}));
    EXPECT_EQ(parse_limit(LimitResource::fsize, "1T")->soft, 1ULL << 40);
    EXPECT_EQ(format_limit(LimitResource::as, {2ULL << 30, 4ULL << 30}), "2G:4G");
    EXPECT_EQ(format_limit(LimitResource::nofile, {1024, limit_infinity}), "1024:infinity");
    EXPECT_EQ(format_limit(LimitResource::nofile, {1024, 1024}), "1024");
    EXPECT_EQ(format_limit(LimitResource::core, {0, 0}), "0");
    EXPECT_FALSE(parse_limit(LimitResource::nofile, ":"));
    EXPECT_FALSE(parse_limit(LimitResource::nofile, "1:2:3"));
    EXPECT_FALSE(parse_limit(LimitResource::nofile, " 1"));
    EXPECT_EQ(limit_key(LimitResource::nofile), "limit_nofile");
    EXPECT_EQ(limit_unit_directive(LimitResource::memlock), "LimitMEMLOCK");
    EXPECT_EQ(limit_from_key("limit_core"), LimitResource::core);
    EXPECT_EQ(limit_from_key("limit_rss"), std::nullopt);
}

TEST(Heap, SizesAndWays) {
    EXPECT_EQ(parse_heap_size("24g")->bytes, 24ULL << 30);
    EXPECT_EQ(parse_heap_size("24G")->bytes, 24ULL << 30);
    EXPECT_EQ(parse_heap_size("31744m")->bytes, 31744ULL << 20);
    EXPECT_EQ(parse_heap_size("2048k")->bytes, 2048ULL << 10);
    EXPECT_EQ(parse_heap_size("31744m")->str(), "31g");
    EXPECT_EQ(parse_heap_size("1536m")->str(), "1536m");
    EXPECT_EQ(parse_heap_size("50%")->percent, 50U);
    EXPECT_EQ(parse_heap_size("auto")->kind, HeapSize::Kind::automatic);
    EXPECT_EQ(format_jvm_size(24ULL << 30), "24g");
    EXPECT_EQ(parse_heap_via("es_java_opts")->kind, HeapVia::Kind::es_java_opts);
    EXPECT_EQ(parse_heap_via("env:JAVA_OPTS")->str(), "env:JAVA_OPTS");
    EXPECT_EQ(parse_heap_via("env:").error().what, "'' is not an environment variable name");
    EXPECT_TRUE(is_env_name("_A1"));
    EXPECT_FALSE(is_env_name("1A"));
    EXPECT_FALSE(is_env_name("A-B"));
}

}  // namespace
}  // namespace eslaunch
