// The spec parser against eslaunch.ini(5): the table of files in spec_cases.cpp
// (exact first error, FILE:LINE), then what valid files mean.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "eslaunch/check.hpp"  // resolved_settings, supervisord_differences
#include "eslaunch/spec.hpp"
#include "test_support.hpp"

namespace eslaunch::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class SpecCaseTest : public ::testing::TestWithParam<SpecCase> {};

TEST_P(SpecCaseTest, FirstErrorIsExact) {
    const SpecCase& c = GetParam();
    auto spec = parse_text(c.text);
    if (c.first_error.empty()) {
        ASSERT_TRUE(spec.has_value()) << "unexpected error: " << spec.error().front().str();
        return;
    }
    ASSERT_FALSE(spec.has_value()) << "accepted a file that must be refused";
    EXPECT_EQ(spec.error().front().str(), c.first_error);
    for (const auto& e : spec.error()) {
        EXPECT_EQ(e.status, status::config) << e.str();
        EXPECT_EQ(e.file, case_file);
        EXPECT_FALSE(e.hint.empty()) << "every refusal says how to fix it: " << e.str();
    }
}

INSTANTIATE_TEST_SUITE_P(Table, SpecCaseTest, ::testing::ValuesIn(spec_cases()),
                         [](const auto& info) { return std::string{info.param.name}; });

TEST(SpecTable, HasEnoughCases) {
    std::size_t refusals = 0;
    for (const auto& c : spec_cases()) refusals += c.first_error.empty() ? 0 : 1;
    EXPECT_GE(spec_cases().size(), 100U);
    EXPECT_GE(refusals, 80U);
}

Spec parse_ok(std::string_view text, const ParseContext& context = test_context()) {
    auto spec = parse_text(text, context);
    if (!spec) {
        ADD_FAILURE() << spec.error().front().str();
        return {};
    }
    return std::move(*spec);
}

TEST(Spec, OverOneMebibyteIsRefused) {
    std::string text = "[program:x]\ncommand=/bin/true\n";
    text += "; " + std::string(1024 * 1024, 'x') + "\n";
    auto spec = parse_text(text);
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().front().str(),
              "/etc/eslaunch/test.ini: file is 1048609 bytes, over the limit of 1048576 (1 MiB); a spec holds a few "
              "program sections; check that this is the file you meant");
}

TEST(Spec, AVeryLongUnknownKeyIsShortenedInTheMessage) {
    auto spec = parse_text("[program:x]\ncommand=/bin/true\n" + std::string(100000, 'a') + "=1\n");
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().front().str(),
              "/etc/eslaunch/test.ini:3: unknown key '" + std::string(64, 'a') +
                  "... (100000 bytes)'; supervisord would ignore it silently; see eslaunch.ini(5) for the keys");
}

TEST(Spec, EchoedValuesAreCut) {
    // A hostile value of any key gives a message of a sane length.
    for (const char* key : {"heap_size", "limit_nofile", "ready", "ready_timeout", "umask", "user", "profile",
                            "es_home", "environment"}) {
        auto spec = parse_text("[program:x]\ncommand=/bin/true\n" + std::string{key} + "=" + std::string(500000, '9') + "#\n");
        ASSERT_FALSE(spec) << key;
        const std::string message = spec.error().front().str();
        EXPECT_LT(message.size(), 600U) << key << ": " << message.substr(0, 200);
        EXPECT_THAT(message, HasSubstr("bytes)")) << key << ": " << message.substr(0, 300);
    }
}

TEST(Spec, EnvironmentNamesAndValuesAreCutInEveryMessage) {
    // A long variable name in each of environment='s refusals (the fuzzer's
    // find: "write NAME=value" echoed the name whole), and a long bare value.
    const std::string name(5000, 'N');
    for (const std::string& value : {name, name + "=\"x", name + "=\"'x'\"", name + "=\"a\"b", name + "=",
                                     name + "=1," + name + "=2", "A=" + std::string(5000, 'v') + "\""}) {
        auto spec = parse_text("[program:x]\ncommand=/bin/true\nenvironment=" + value + "\n");
        ASSERT_FALSE(spec) << value.substr(5000);
        const std::string message = spec.error().front().str();
        EXPECT_LT(message.size(), 800U) << value.substr(5000) << ": " << message.substr(0, 300);
    }
}

TEST(Spec, ExactlyOneMebibyteIsAccepted) {
    std::string text = "[program:x]\ncommand=/bin/true\n; ";
    text += std::string(1024 * 1024 - text.size() - 1, 'x') + "\n";
    ASSERT_EQ(text.size(), 1024U * 1024U);
    EXPECT_TRUE(parse_text(text).has_value());
}

TEST(Spec, CommandIsSplitLikeShlex) {
    const Spec spec = parse_ok(
        "[program:x]\n"
        "command=/bin/sh -c 'echo \"$HOME\"' \"a b\" c\\ d \"e\\\"f\" \"g\\h\" '' x#y\n");
    EXPECT_THAT(spec.argv, ElementsAre("/bin/sh", "-c", "echo \"$HOME\"", "a b", "c d", "e\"f", "g\\h", "", "x#y"));
}

TEST(Spec, ContinuationLinesJoinTheCommand) {
    const Spec spec = parse_ok(
        "[program:x]\n"
        "command=/bin/echo\n"
        "  one ; inline comment\n"
        "; full-line comment\n"
        "\n"
        "  two\n"
        "user=work\n");
    EXPECT_THAT(spec.argv, ElementsAre("/bin/echo", "one", "two"));
    EXPECT_EQ(spec.command, "/bin/echo\none\n\ntwo");
    EXPECT_EQ(spec.user->text, "work");
    EXPECT_EQ(spec.line_of("user"), 7);
}

TEST(Spec, InlineCommentNeedsWhitespaceBeforeIt) {
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/echo a;b c#d ;gone\n");
    EXPECT_THAT(spec.argv, ElementsAre("/bin/echo", "a;b", "c#d"));
}

TEST(Spec, ExpansionsAreReplaced) {
    const Spec spec = parse_ok(
        "[program:node]\n"
        "command=%(here)s/run %(program_name)s %(host_node_name)s %(ENV_ES_HOME)s 100%%\n"
        "environment=A=\"%(ENV_HOME)s\",B=\"%(program_name)s\"\n");
    EXPECT_THAT(spec.argv, ElementsAre("/etc/eslaunch/run", "node", "node-1", "/opt/es", "100%"));
    ASSERT_EQ(spec.environment.size(), 2U);
    EXPECT_EQ(spec.environment[0], (EnvVar{"A", "/root", 3}));
    EXPECT_EQ(spec.environment[1], (EnvVar{"B", "node", 3}));
}

TEST(Spec, CommandSeesTheProgramsEnvironmentInExpansions) {
    // supervisord adds environment= to the names command= and directory= expand.
    const Spec spec = parse_ok(
        "[program:x]\n"
        "command=%(ENV_JAVA_HOME)s/bin/java\n"
        "directory=%(ENV_HOME)s\n"
        "environment=JAVA_HOME=\"/usr/lib/jvm/jre\",HOME=\"/srv/x\"\n");
    EXPECT_THAT(spec.argv, ElementsAre("/usr/lib/jvm/jre/bin/java"));
    EXPECT_EQ(spec.directory, "/srv/x");
}

TEST(Spec, UserAndUmaskSeeOnlyEslaunchsEnvironment) {
    // supervisord reads user= and umask= before the program's environment.
    ParseContext context = test_context();
    context.environ.set("RUN_AS", "work");
    const Spec spec = parse_ok(
        "[program:x]\ncommand=/bin/true\nuser=%(ENV_RUN_AS)s\nenvironment=RUN_AS=\"other\"\n", context);
    EXPECT_EQ(spec.user->text, "work");
}

TEST(Spec, EslaunchKeysKeepALonePercent) {
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/true\nheap_size=50%\n");
    ASSERT_TRUE(spec.heap_size);
    EXPECT_EQ(spec.heap_size->kind, HeapSize::Kind::percent);
    EXPECT_EQ(spec.heap_size->percent, 50U);
}

TEST(Spec, EnvironmentKeepsOrderQuotesAndCommas) {
    const Spec spec = parse_ok(
        "[program:x]\ncommand=/bin/true\n"
        "environment=Z=\"x, y\",A='say \"hi\" now',M=/usr/lib/jvm/jre,E=\"\",U=\"caf\xc3\xa9\", ;x\n");
    ASSERT_EQ(spec.environment.size(), 5U);
    EXPECT_EQ(spec.environment[0].name, "Z");
    EXPECT_EQ(spec.environment[0].value, "x, y");
    EXPECT_EQ(spec.environment[1].value, "say \"hi\" now");
    EXPECT_EQ(spec.environment[2].value, "/usr/lib/jvm/jre");
    EXPECT_EQ(spec.environment[3].value, "");
    EXPECT_EQ(spec.environment[4].value, "caf\xc3\xa9");  // ' ;x' is a comment
}

TEST(Spec, EnvironmentOverContinuationLinesKeepsEachLine) {
    const Spec spec = parse_ok(
        "[program:x]\ncommand=/bin/true\n"
        "environment=\n"
        "    A=\"1\",\n"
        "    ; comment\n"
        "    B=\"2\"\n");
    ASSERT_EQ(spec.environment.size(), 2U);
    EXPECT_EQ(spec.environment[0].line, 4);
    EXPECT_EQ(spec.environment[1].line, 6);
}

TEST(Spec, SupervisordSectionEnvironmentReachesTheProgram) {
    const Spec spec = parse_ok(
        "[supervisord]\nenvironment=GLOBAL=\"g\",SHARED=\"from supervisord\"\n"
        "[program:x]\ncommand=/bin/run %(ENV_GLOBAL)s\nuser=%(ENV_GLOBAL)s\n"
        "environment=SHARED=\"%(ENV_SHARED)s and x\"\n");
    EXPECT_THAT(spec.argv, ElementsAre("/bin/run", "g"));
    EXPECT_EQ(spec.user->text, "g");
    ASSERT_EQ(spec.supervisord_environment.size(), 2U);
    EXPECT_EQ(spec.supervisord_environment[1], (EnvVar{"SHARED", "from supervisord", 2}));
    const EnvMap env = program_environment(test_context().environ, false, spec.environment_settings());
    EXPECT_EQ(*env.get("GLOBAL"), "g");
    EXPECT_EQ(*env.get("SHARED"), "from supervisord and x");
    const std::vector<Note> differences = supervisord_differences(spec);
    ASSERT_FALSE(differences.empty());
    EXPECT_THAT(differences.back().text, HasSubstr("environment= of [supervisord] is applied"));
}

TEST(Spec, ProgramOptionChoosesASection) {
    ParseContext context = test_context();
    context.program = "b";
    const Spec spec = parse_ok("[program:a]\ncommand=/bin/a\n[program:b]\ncommand=/bin/b\n", context);
    EXPECT_EQ(spec.program, "b");
    EXPECT_THAT(spec.argv, ElementsAre("/bin/b"));
    EXPECT_EQ(spec.section_line, 3);
}

TEST(Spec, ProgramOptionNamesTheSectionsWhenMissing) {
    ParseContext context = test_context();
    context.program = "c";
    auto spec = parse_text("[program:a]\ncommand=/bin/a\n[program:b]\ncommand=/bin/b\n", context);
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().front().str(), "/etc/eslaunch/test.ini: no [program:c] section; the file has: a, b");
}

TEST(Spec, ErrorsInOtherProgramSectionsDoNotMatter) {
    ParseContext context = test_context();
    context.program = "good";
    EXPECT_TRUE(parse_text("[program:bad]\nbogus=1\n[program:good]\ncommand=/bin/true\n", context).has_value());
}

TEST(Spec, AllErrorsOfASectionAreReported) {
    auto spec = parse_text("[program:x]\ncommand=/bin/true\numask=9\nuser=\nheap_size=x\nbogus=1\n");
    ASSERT_FALSE(spec);
    std::vector<int> lines;
    for (const auto& e : spec.error()) lines.push_back(e.line);
    EXPECT_THAT(lines, ::testing::UnorderedElementsAre(3, 4, 5, 6));
}

TEST(Spec, SupervisordOnlyKeysAreKeptAsWritten) {
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/true\nstopsignal=INT\nstdout_logfile=%(here)s/x.log\n");
    ASSERT_EQ(spec.supervisord_only.size(), 2U);
    EXPECT_EQ(spec.supervisord_only[0].key, "stopsignal");
    EXPECT_EQ(spec.supervisord_only[0].value, "INT");
    EXPECT_EQ(spec.supervisord_only[1].value, "%(here)s/x.log");
    EXPECT_EQ(spec.supervisord_only[1].line, 4);
}

TEST(Spec, ProfileAutoPicksElasticsearchByName) {
    EXPECT_EQ(parse_ok("[program:x]\ncommand=/opt/es/bin/elasticsearch\n").profile, Profile::elasticsearch);
    EXPECT_EQ(parse_ok("[program:x]\ncommand=/usr/share/elasticsearch/bin/systemd-entrypoint\n").profile,
              Profile::elasticsearch);
    EXPECT_EQ(parse_ok("[program:x]\ncommand=/usr/bin/java -jar app.jar\n").profile, Profile::plain);
    EXPECT_EQ(parse_ok("[program:x]\ncommand=/usr/bin/java\nprofile=jvm\n").profile, Profile::jvm);
}

TEST(Spec, DaemonizeOptionArgumentsAreNotFlags) {
    // -p takes an argument: "-pd" is a pid file named "d"; -E settings may hold d.
    EXPECT_TRUE(parse_text("[program:es]\ncommand=/opt/es/bin/elasticsearch -pd -Epath.data=/d -- -d\n"));
}

TEST(Spec, WarnsAboutShortStopWaitForElasticsearch) {
    const Spec spec = parse_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nstopwaitsecs=10\n");
    ASSERT_EQ(spec.warnings.size(), 1U);
    EXPECT_EQ(spec.warnings[0].line, 3);
    EXPECT_THAT(spec.warnings[0].text, HasSubstr("SIGKILLs a node still flushing after 10 s"));
    EXPECT_TRUE(parse_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nstopwaitsecs=300\n").warnings.empty());
    const Spec no_stopwait = parse_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nautorestart=true\n");
    ASSERT_EQ(no_stopwait.warnings.size(), 1U);
    EXPECT_THAT(no_stopwait.warnings[0].text, HasSubstr("default of 10 s"));
    EXPECT_TRUE(parse_ok("[program:x]\ncommand=/bin/true\nstopwaitsecs=1\n").warnings.empty());
}

TEST(Spec, WarnsAboutStartSecsUsedAsReadiness) {
    const Spec spec = parse_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nstopwaitsecs=300\nstartsecs=60\n");
    ASSERT_EQ(spec.warnings.size(), 1U);
    EXPECT_EQ(spec.warnings[0].line, 4);
    EXPECT_EQ(spec.warnings[0].text, "startsecs=60: " + std::string{startsecs_advice});
    // The same advice for any value (issue 21: startsecs=10 went unflagged).
    for (const char* value : {"10", "1", "0"}) {
        const Spec other = parse_ok(std::string{"[program:es]\ncommand=/opt/es/bin/elasticsearch\nstopwaitsecs=300\n"
                                                "startsecs="} + value + "\n");
        ASSERT_EQ(other.warnings.size(), 1U) << value;
        EXPECT_EQ(other.warnings[0].text, std::string{"startsecs="} + value + ": " + std::string{startsecs_advice});
    }
    // Only Elasticsearch's.
    EXPECT_TRUE(parse_ok("[program:x]\ncommand=/bin/true\nstartsecs=60\n").warnings.empty());
}

TEST(Spec, WarnsAboutVariablesNothingReads) {
    const Spec spec = parse_ok("[program:x]\ncommand=/bin/true\nenvironment=MAX_OPEN_FILES=\"102400\"\n");
    ASSERT_EQ(spec.warnings.size(), 1U);
    EXPECT_EQ(spec.warnings[0].line, 3);
    EXPECT_THAT(spec.warnings[0].text, HasSubstr("use limit_nofile= instead"));
}

TEST(Spec, NamesWhereSupervisordDiffers) {
    const Spec spec = parse_ok(
        "[include]\nfiles=*.conf\n"
        "[program:x]\ncommand=run\nuser=work\nheap_size=1g\nlimit_nofile=1024\n"
        "environment=PATH=\"/opt/bin\"\n");
    std::vector<std::string> texts;
    for (const auto& d : supervisord_differences(spec)) texts.push_back(d.text);
    EXPECT_THAT(texts, ElementsAre(HasSubstr("supervisord ignores heap_size, limit_nofile:"),
                                   HasSubstr("sets HOME, USER, LOGNAME and SHELL"),
                                   HasSubstr("looks up 'run' in the PATH that environment= sets"),
                                   HasSubstr("[include]")));
}

TEST(Spec, ResolvedSettingsFollowTheProfile) {
    const Spec es = parse_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\nlimit_nofile=20000\n");
    EnvMap env;
    std::map<std::string, Setting> by_key;
    for (auto& s : resolved_settings(es, env)) by_key[s.key] = s;
    EXPECT_EQ(by_key["limit_nofile"].value, "20000");
    EXPECT_EQ(by_key["limit_nofile"].source, Setting::Source::spec);
    EXPECT_EQ(by_key["limit_nproc"].value, "4096");
    EXPECT_EQ(by_key["limit_nproc"].source, Setting::Source::profile);
    EXPECT_EQ(by_key["limit_as"].value, "infinity");
    EXPECT_EQ(by_key["limit_memlock"].value, "");
    EXPECT_EQ(by_key["ready"].value, "");  // from elasticsearch.yml: the plan's readiness has it
    EXPECT_EQ(by_key["ready"].source, Setting::Source::profile);
    EXPECT_EQ(by_key["es_home"].value, "/opt/es");
    EXPECT_EQ(by_key["es_path_conf"].value, "/opt/es/config");
    env.set("ES_PATH_CONF", "/etc/elasticsearch");
    for (auto& s : resolved_settings(es, env)) by_key[s.key] = s;
    EXPECT_EQ(by_key["es_path_conf"].value, "/etc/elasticsearch");

    // The profile's nofile follows the Elasticsearch version found.
    const Spec es_default = parse_ok("[program:es]\ncommand=/opt/es/bin/elasticsearch\n");
    for (auto& s : resolved_settings(es_default, env)) by_key[s.key] = s;
    EXPECT_EQ(by_key["limit_nofile"].value, "65535");
    EXPECT_EQ(by_key["limit_nofile"].source, Setting::Source::profile);
    EXPECT_EQ(by_key["limit_nofile"].detail, "best effort");
    for (auto& s : resolved_settings(es_default, env, EsVersion{6, 8, 23})) by_key[s.key] = s;
    EXPECT_EQ(by_key["limit_nofile"].value, "65536");
    EXPECT_EQ(by_key["limit_nofile"].detail, "best effort; Elasticsearch 6.8.23 wants 65536 (65535 from 7.0)");
    for (auto& s : resolved_settings(es_default, env, EsVersion{7, 17, 25})) by_key[s.key] = s;
    EXPECT_EQ(by_key["limit_nofile"].value, "65535");
    EXPECT_EQ(by_key["limit_nofile"].detail, "best effort");
    for (auto& s : resolved_settings(es, env, EsVersion{5, 6, 16})) by_key[s.key] = s;
    EXPECT_EQ(by_key["limit_nofile"].value, "20000");  // written: the spec's
    EXPECT_EQ(by_key["limit_nofile"].source, Setting::Source::spec);

    const Spec plain = parse_ok("[program:x]\ncommand=/bin/true\n");
    for (auto& s : resolved_settings(plain, env)) by_key[s.key] = s;
    EXPECT_EQ(by_key["limit_nofile"].value, "");
    EXPECT_EQ(by_key["ready"].value, "none");
    EXPECT_EQ(by_key["es_home"].value, "");
}

TEST(Spec, TypedValuesOfEveryKey) {
    const Spec spec = parse_ok(spec_cases()[9].text);  // valid_all_eslaunch_keys
    ASSERT_EQ(spec_cases()[9].name, "valid_all_eslaunch_keys");
    EXPECT_EQ(spec.umask, 027);
    EXPECT_EQ(spec.group->text, "work");
    EXPECT_EQ(spec.supplementary_groups.mode, SupplementaryGroups::Mode::list);
    ASSERT_EQ(spec.supplementary_groups.groups.size(), 2U);
    EXPECT_EQ(spec.supplementary_groups.groups[1].id, 4U);
    EXPECT_TRUE(spec.clear_environment);
    EXPECT_EQ(spec.profile, Profile::jvm);
    EXPECT_EQ(spec.limits.at(LimitResource::nproc), (LimitValue{4096, 8192}));
    EXPECT_EQ(spec.limits.at(LimitResource::memlock).soft, limit_infinity);
    EXPECT_EQ(spec.limits.at(LimitResource::as).hard, std::uint64_t{64} << 30);
    EXPECT_EQ(spec.limits.at(LimitResource::core), (LimitValue{0, 0}));
    EXPECT_EQ(spec.heap_size->bytes, std::uint64_t{31744} << 20);
    EXPECT_EQ(spec.heap_via.kind, HeapVia::Kind::env);
    EXPECT_EQ(spec.heap_via.env_name, "APP_HEAP");
    EXPECT_EQ(spec.ready->kind, ReadyProbe::Kind::tcp);
    EXPECT_EQ(spec.ready->host, "::1");
    EXPECT_EQ(spec.ready->port, 9300);
    EXPECT_THAT(spec.ready_expect, ElementsAre(StatusRange{200, 200}, StatusRange{401, 401}));
    EXPECT_EQ(spec.ready_timeout.str(), "90s");
    EXPECT_EQ(spec.ready_interval.str(), "500ms");
    EXPECT_FALSE(spec.ready_insecure);
    EXPECT_EQ(spec.ready_user, "elastic");
    EXPECT_TRUE(spec.watchdog);
    EXPECT_FALSE(spec.no_new_privileges);
    EXPECT_FALSE(spec.allow_root);
    EXPECT_EQ(spec.es_path_conf, "/etc/app");
    EXPECT_EQ(spec.stdin_file, "/etc/eslaunch/app.passphrase");
}

TEST(Spec, StdinIsNullUnlessAFileIsGiven) {
    EXPECT_FALSE(parse_ok("[program:x]\ncommand=/bin/true\n").stdin_file);
    EXPECT_FALSE(parse_ok("[program:x]\ncommand=/bin/true\nstdin=null\n").stdin_file);
    EXPECT_EQ(parse_ok("[program:x]\ncommand=/bin/true\nstdin=file:%(here)s/pw\n").stdin_file, "/etc/eslaunch/pw");
}

// systemd-entrypoint reads ES_KEYSTORE_PASSPHRASE_FILE itself: a warning
// (it opens the file as the node's user), not the error bin/elasticsearch gets.
// OpenSearch's reads OPENSEARCH_KEYSTORE_PASSPHRASE_FILE the same way.
TEST(Spec, PassphraseVariableOnlyWarnsForSystemdEntrypoint) {
    const Spec spec = parse_ok(
        "[program:es]\ncommand=/usr/share/elasticsearch/bin/systemd-entrypoint\n"
        "environment=ES_KEYSTORE_PASSPHRASE_FILE=\"/etc/es/pw\"\n");
    ASSERT_EQ(spec.warnings.size(), 1U);
    EXPECT_EQ(spec.warnings[0].line, 3);
    EXPECT_THAT(spec.warnings[0].text, HasSubstr("systemd-entrypoint opens it as the node's user, who must be able"));
    EXPECT_THAT(spec.warnings[0].text, HasSubstr("with command=.../bin/elasticsearch lets it stay root-only"));
    const Spec os = parse_ok(
        "[program:os]\ncommand=/usr/share/opensearch/bin/systemd-entrypoint -p /run/os.pid --quiet\n"
        "profile=opensearch\nstdin=file:/etc/os/pw\nenvironment=OPENSEARCH_KEYSTORE_PASSPHRASE_FILE=\"/etc/os/pw\"\n");
    ASSERT_EQ(os.warnings.size(), 1U);
    EXPECT_EQ(os.warnings[0].line, 5);
    EXPECT_EQ(os.warnings[0].text,
              "OPENSEARCH_KEYSTORE_PASSPHRASE_FILE=/etc/os/pw: systemd-entrypoint opens it as the node's user, in "
              "place of stdin=; stdin=file:/etc/os/pw with command=.../bin/opensearch lets it stay root-only");
    // Each profile its own product's variable: Elastic's means nothing to bin/opensearch.
    EXPECT_TRUE(parse_ok("[program:os]\ncommand=/opt/os/bin/opensearch\nenvironment=ES_KEYSTORE_PASSPHRASE_FILE=\"/x\"\n")
                    .warnings.empty());
    // profile plain: the variable means nothing to eslaunch.
    EXPECT_TRUE(parse_ok("[program:x]\ncommand=/bin/true\nenvironment=ES_KEYSTORE_PASSPHRASE_FILE=\"/x\"\n")
                    .warnings.empty());
}

}  // namespace
}  // namespace eslaunch::testing
