// eslaunch migrate (issue 21): the old sections of tests/migrate/, read as
// supervisord reads them, into a spec that the spec parser takes whole and
// a section that check takes as the wrapper it is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "eslaunch/migrate.hpp"
#include "eslaunch/spec.hpp"

namespace eslaunch {
namespace {

using ::testing::HasSubstr;

std::string fixture(const std::string& name) {
    const std::string path = std::string{ESLAUNCH_SOURCE_ROOT} + "/tests/migrate/" + name;
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Case {
    std::string file;
    std::map<std::string, std::string> env;  // the spec's environment=, merged
    std::string heap;                        // heap_size= as written ("" none)
    std::map<LimitResource, std::uint64_t> limits;
    std::vector<std::string> argv;
    std::size_t losses = 0;
};

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"01-verbatim.conf", {{"JAVA_HOME", "/usr/lib/jvm/java-8-openjdk-amd64"}}, "8g",
         {{LimitResource::nofile, 102400}}, {"/path/to/elasticsearch/bin/elasticsearch"}, 2},
        {"02-quoting.conf", {{"JAVA_HOME", "/usr/lib/jvm/jre"}, {"ES_JAVA_OPTS", "-Dfile.encoding=UTF-8 -Dx=a,b"}}, "4g",
         {{LimitResource::nofile, 65536}}, {"/path/to/elasticsearch/bin/elasticsearch", "-Des.node.name=node one"}, 2},
        {"03-env-expansion.conf", {{"JAVA_HOME", "/usr/lib/jvm/jre"}}, "%(ENV_ES_HEAP)s",
         {{LimitResource::memlock, limit_infinity}}, {"/opt/es/bin/elasticsearch"}, 1},
        {"04-daemonize.conf", {}, "2g", {{LimitResource::nofile, 65536}},
         {"/path/to/elasticsearch/bin/elasticsearch", "-p", "/var/run/elasticsearch.pid"}, 0},
        {"05-clean.conf", {{"JAVA_HOME", "/usr/lib/jvm/jre"}}, "", {}, {"/path/to/elasticsearch/bin/elasticsearch"}, 0},
    };
    return all;
}

ParseContext context() {
    ParseContext c;
    c.environ.set("ES_HOME", "/opt/es");
    c.environ.set("ES_HEAP", "1g");
    c.environ.set("JAVA_HOME", "/usr/lib/jvm/jre");
    return c;
}

Migration migrated(const std::string& file) {
    MigrateOptions options;
    options.eslaunch = "/usr/bin/eslaunch";
    auto m = migrate_section(fixture(file), "/etc/supervisor/conf.d/" + file, options);
    if (!m) {
        for (const auto& e : m.error()) ADD_FAILURE() << e.str();
        return {};
    }
    return std::move(*m);
}

TEST(Migrate, EveryOldSectionBecomesASpecThatParses) {
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.file);
        const Migration m = migrated(c.file);
        EXPECT_EQ(m.spec_path, "/etc/eslaunch/elasticsearch.ini");
        auto spec = parse_spec(m.spec_text, m.spec_path, context());
        ASSERT_TRUE(spec) << m.spec_text << spec.error().front().str();
        EXPECT_EQ(spec->argv, c.argv);
        std::map<std::string, std::string> env;
        for (const auto& v : spec->environment) env[v.name] = v.value;
        if (c.file == "03-env-expansion.conf") {
            EXPECT_THAT(m.spec_text, HasSubstr("heap_size=%(ENV_ES_HEAP)s\n"));
            EXPECT_THAT(m.spec_text, HasSubstr("JAVA_HOME=\"%(ENV_JAVA_HOME)s\""));  // expanded at each launch
            EXPECT_EQ(spec->heap_size->str(), "1g");
        } else {
            EXPECT_EQ(spec->heap_size ? spec->heap_size->str() : "", c.heap);
        }
        EXPECT_EQ(env, c.env);
        for (const auto& [r, n] : c.limits) EXPECT_EQ(spec->limits.at(r).hard, n) << limit_key(r);
        EXPECT_EQ(spec->limits.size(), c.limits.size());
        EXPECT_EQ(m.losses.size(), c.losses);
        EXPECT_FALSE(spec->ready);  // the default probe reads elasticsearch.yml
        EXPECT_THAT(m.spec_text, HasSubstr("ready: not written: the default probe finds the node"));
    }
}

TEST(Migrate, TheSectionRunsEslaunchAndPassesTheWrapperCheck) {
    for (const auto& c : cases()) {
        SCOPED_TRACE(c.file);
        const Migration m = migrated(c.file);
        auto section = parse_spec(m.section_text, "/etc/supervisor/conf.d/es.conf", context());
        ASSERT_TRUE(section) << m.section_text << section.error().front().str();
        EXPECT_EQ(section->argv, (std::vector<std::string>{"/usr/bin/eslaunch", "/etc/eslaunch/elasticsearch.ini"}));
        EXPECT_FALSE(section->user);
        EXPECT_TRUE(section->environment.empty());
        const auto w = check_wrapper_section(*section);
        ASSERT_TRUE(w);
        EXPECT_EQ(w->spec, "/etc/eslaunch/elasticsearch.ini");
        EXPECT_TRUE(w->findings.empty()) << w->findings.front().message;
        EXPECT_THAT(m.section_text, HasSubstr("\nstopsignal=TERM\n"));
        std::string flat = m.section_text;  // the comments unwrapped
        for (auto at = flat.find("\n; "); at != std::string::npos; at = flat.find("\n; ", at)) flat.replace(at, 3, " ");
        EXPECT_THAT(flat, HasSubstr(": " + std::string{startsecs_advice}));
    }
}

TEST(Migrate, SaysWhatSupervisordDropped) {
    const Migration m = migrated("01-verbatim.conf");
    ASSERT_EQ(m.losses.size(), 2U);
    EXPECT_EQ(m.losses[0].what,
              "line 8: environment= is dropped by supervisord, which keeps only line 10: the node never got "
              "ES_HEAP_SIZE; the spec merges every line");
    EXPECT_EQ(m.losses[1].line, 9);
    const Migration q = migrated("02-quoting.conf");
    ASSERT_EQ(q.losses.size(), 2U);
    EXPECT_EQ(q.losses[0].key, "environment JAVA_HOME");
    EXPECT_EQ(q.losses[0].value, "/usr/lib/jvm/java 7");
    EXPECT_EQ(q.losses[1].key, "environment");
    EXPECT_EQ(q.losses[1].kept_line, 12);
}

TEST(Migrate, EachChangeSaysFromWhatAndWhy) {
    const Migration m = migrated("01-verbatim.conf");
    std::map<std::string, MigrateChange> by_key;
    for (const auto& c : m.changes) by_key[c.target + " " + c.key] = c;
    EXPECT_EQ(by_key["spec heap_size"].from, "ES_HEAP_SIZE=\"8g\"");
    EXPECT_EQ(by_key["spec heap_size"].line, 8);
    EXPECT_THAT(by_key["spec limit_nofile"].why, HasSubstr("only the init scripts"));
    EXPECT_EQ(by_key["section stopsignal"].from, "stopsignal=INT");
    EXPECT_THAT(by_key["section stopsignal"].why, HasSubstr("exits 130"));
    EXPECT_EQ(by_key["section stopwaitsecs"].to, "stopwaitsecs=300");
    EXPECT_THAT(by_key["section stopwaitsecs"].why, HasSubstr("TimeoutStopSec=0"));
    EXPECT_THAT(by_key["section user"].why, HasSubstr("only root can"));
    EXPECT_EQ(by_key["section startsecs"].why, startsecs_advice);
    EXPECT_THAT(m.spec_text, HasSubstr("; was ES_HEAP_SIZE=\"8g\" (line 8): eslaunch passes the heap"));
    EXPECT_THAT(m.section_text, HasSubstr("\nstdout_logfile=/data/logs/elasticsearch.out.log\n"));
    EXPECT_THAT(m.section_text, HasSubstr("\nautorestart=true\n"));
    const Migration d = migrated("04-daemonize.conf");
    EXPECT_THAT(d.spec_text, HasSubstr("; was /path/to/elasticsearch/bin/elasticsearch -d -p"));
    EXPECT_THAT(d.section_text, HasSubstr("\nexitcodes=0,143\n"));
    EXPECT_THAT(d.section_text, HasSubstr("was stopwaitsecs=20"));
    const Migration e = migrated("03-env-expansion.conf");
    EXPECT_THAT(e.section_text, HasSubstr("\nstdout_logfile=/etc/supervisor/conf.d/es.log\n"));
}

TEST(Migrate, RefusesWhatIsNoProgramSection) {
    MigrateOptions options;
    options.program = "elasticsearch";
    auto group = migrate_section("[supervisord]\nnodaemon=true\n\n[group:elasticsearch]\nprograms=a,b\n", "/x.conf",
                                 options);
    ASSERT_FALSE(group);
    EXPECT_EQ(group.error().front().str(),
              "/x.conf:4: [group:elasticsearch] is not a [program:NAME] section; migrate turns a supervisord "
              "[program:NAME] into a spec; give the file and --program NAME of one (program sections here: none)");
    EXPECT_EQ(group.error().front().status, 78);
    auto none = migrate_section("[supervisord]\nnodaemon=true\n", "/x.conf", {});
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().front().line, 1);
    auto two = migrate_section("[program:a]\ncommand=/a\n[program:b]\ncommand=/b\n", "/x.conf", {});
    ASSERT_FALSE(two);
    EXPECT_THAT(two.error().front().hint, HasSubstr("--program NAME"));
    auto no_command = migrate_section("[program:a]\nuser=work\n", "/x.conf", {});
    ASSERT_FALSE(no_command);
    EXPECT_EQ(no_command.error().front().line, 1);
}

TEST(Migrate, WrapperCheckSaysUserIsWrongThere) {
    auto section = parse_spec("[program:es]\ncommand=eslaunch --program es /etc/eslaunch/es.ini\nuser=work\n"
                              "stopsignal=INT\nstopwaitsecs=10\nstartsecs=10\n",
                              "/s.conf", {});
    ASSERT_TRUE(section);
    const auto w = check_wrapper_section(*section);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->spec, "/etc/eslaunch/es.ini");
    EXPECT_EQ(w->program, "es");
    std::vector<std::string> ids;
    for (const auto& f : w->findings) ids.push_back(f.id);
    EXPECT_EQ(ids, (std::vector<std::string>{"wrapper-user", "wrapper-stopsignal", "wrapper-stopwaitsecs"}));
    EXPECT_EQ(w->findings[0].where, "/s.conf:3");
    ASSERT_EQ(w->notes.size(), 1U);
    EXPECT_EQ(w->notes[0].text, "startsecs=10: " + std::string{startsecs_advice});
    auto relative = parse_spec("[program:es]\ncommand=/usr/bin/eslaunch es.ini\n", "/s.conf", {});
    EXPECT_EQ(check_wrapper_section(*relative)->findings.front().id, "wrapper-command");
    auto plain = parse_spec("[program:es]\ncommand=/usr/bin/eslaunchx /e.ini\n", "/s.conf", {});
    EXPECT_FALSE(check_wrapper_section(*plain));
}

}  // namespace
}  // namespace eslaunch
