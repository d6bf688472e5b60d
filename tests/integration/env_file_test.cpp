// The real eslaunch, as root, with fake Elasticsearch homes in package mode
// (tests/fake-es: bin/elasticsearch-env sources an environment file after
// the inherited environment, as the deb/rpm scripts do): what the file
// changes stops the launch (78, nothing started) or is a warning with its
// FILE:LINE, and `check` shows the file and its findings, text and JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_process.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> base_env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"};

class EnvFile : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (geteuid() == 0) ensure_test_user();
    }
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "SKIP: needs root: eslaunch drops privileges only when started as root";
        dir_ = make_launch_dir("env-file");
        ASSERT_FALSE(dir_.empty());
        record_ = (dir_ / "out" / "record.json").string();
        env_file_ = (dir_ / "default-elasticsearch").string();
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    // A home of `version` built as a deb package whose elasticsearch-env sources env_file_.
    std::string make_package_home(const std::string& version) {
        const std::string home = (dir_ / ("es-" + version)).string();
        auto r = run_command({"/usr/bin/env", "MAKE_HOME_PACKAGE=deb", "MAKE_HOME_ENV_FILE=" + env_file_, "/bin/bash",
                              getenv_or_fail("ESLAUNCH_MAKE_HOME"), version, home, getenv_or_fail("ESLAUNCH_FAKE_ES")},
                             {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
        EXPECT_EQ(r.status, 0) << r.err;
        return home;
    }

    static void write_file(const fs::path& path, const std::string& text) {
        std::ofstream(path) << text;
        fs::permissions(path, fs::perms(0644));
    }

    std::string write_spec(const std::string& home, const std::string& extra) {
        const fs::path path = dir_ / "spec.ini";
        write_file(path, "[program:es]\ncommand=" + home + "/bin/elasticsearch\nuser=" + test_user + "\n" + extra +
                             "tmpdir=" + (dir_ / "tmp").string() + "\nenvironment=FAKE_ES_RECORD=\"" + record_ +
                             "\",FAKE_ES_EXIT=\"1\"\n");
        return path.string();
    }

    json check_json(const std::string& spec, int want_status) {
        auto r = run_eslaunch({"check", "--json", spec}, base_env);
        EXPECT_EQ(r.status, want_status) << r.err;
        return json::parse(r.out, nullptr, false);
    }

    fs::path dir_;
    std::string record_;
    std::string env_file_;
};

// heap_size=256m goes into ES_JAVA_OPTS, which the file sets again after it:
// the node would run with 2g. The launch refuses it before anything starts,
// and check says the same, naming heap_size= and the file's line.
TEST_F(EnvFile, AHeapInTheFileStopsTheLaunch) {
    const std::string home = make_package_home("7.17.25");
    write_file(env_file_, "ES_PATH_CONF=" + home + "/config\n# the heap\nES_JAVA_OPTS=\"-Xms2g -Xmx2g\"\n");
    const std::string spec = write_spec(home, "heap_size=256m\n");
    const std::string conflict = "heap_size=256m is passed in ES_JAVA_OPTS, but " + env_file_ + ":3 sets "
                                 "ES_JAVA_OPTS='-Xms2g -Xmx2g'";
    auto r = run_eslaunch({spec}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr(spec + ":4: " + conflict));
    EXPECT_THAT(r.err, HasSubstr("the JVM would run with -Xms2g -Xmx2g"));
    EXPECT_FALSE(fs::exists(record_)) << "the node was started";

    auto text = run_eslaunch({"check", spec}, base_env);
    EXPECT_EQ(text.status, 78);
    EXPECT_THAT(text.err, HasSubstr(conflict));
    json j = check_json(spec, 78);
    ASSERT_TRUE(j.is_object());
    ASSERT_EQ(j["valid"], false);
    EXPECT_EQ(j["errors"][0]["line"], 4);
    EXPECT_EQ(j["errors"][0]["status"], 78);
    EXPECT_THAT(j["errors"][0]["message"].get<std::string>(), HasSubstr(conflict));
}

// The file's lines are echoed in warnings; its service group may write it.
// A carriage return or an escape sequence there must not rewrite the
// terminal's line, nor a newline forge a journal entry: each shows as \xNN.
TEST_F(EnvFile, ControlCharactersInTheFileAreShownNotSent) {
    const std::string home = make_package_home("7.17.25");
    write_file(env_file_, "ES_PATH_CONF=" + home + "/config\nX=\x1b[2Jred\x7f\r\n");
    const std::string spec = write_spec(home, "");
    auto r = run_eslaunch({spec}, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("X=\\x1b[2Jred\\x7f\\x0d"));
    EXPECT_EQ(r.err.find_first_of("\x1b\r\x7f"), std::string::npos) << r.err;
    auto check = run_eslaunch({"check", spec}, base_env);
    EXPECT_THAT(check.out, HasSubstr("\\x1b[2Jred"));
    EXPECT_EQ((check.out + check.err).find_first_of("\x1b\r\x7f"), std::string::npos) << check.out << check.err;
}

// A bin/elasticsearch-env its user can change could name any file (say
// /etc/shadow) for root to read and echo: eslaunch reads the file it names
// only when the script is root's alone, or the file is a package's own.
TEST_F(EnvFile, AScriptOthersCanChangeChoosesNoFileForRoot) {
    const std::string home = make_package_home("7.17.25");
    write_file(env_file_, "ES_PATH_CONF=" + home + "/config\nES_JAVA_OPTS=\"-Xms2g -Xmx2g\"\n");
    const std::string spec = write_spec(home, "heap_size=256m\n");
    ASSERT_EQ(check_json(spec, 78)["valid"], false) << "root's script: the file is read";

    const std::string script = home + "/bin/elasticsearch-env";
    const struct passwd* user = ::getpwnam(test_user);
    ASSERT_NE(user, nullptr);
    ASSERT_EQ(::chown(script.c_str(), user->pw_uid, static_cast<gid_t>(-1)), 0);
    json j = check_json(spec, 0);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["valid"], true) << j.dump();
    const json& findings = j["environment_file"]["findings"];
    ASSERT_FALSE(findings.empty()) << j["environment_file"].dump();
    EXPECT_EQ(findings[0]["id"], "env-file-untrusted");
    EXPECT_THAT(findings[0]["message"].get<std::string>(),
                HasSubstr("bin/elasticsearch-env sources " + env_file_ + ", but eslaunch reads as root only a file "
                          "root chose, and " + script + " is owned by uid " + std::to_string(user->pw_uid)));
    auto r = run_eslaunch({spec}, base_env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("eslaunch reads as root only a file root chose"));
}

// ES_PATH_CONF in the file moves the config directory: eslaunch's probe and
// preflight read that directory's elasticsearch.yml and jvm.options, and the
// node gets it; a different es_path_conf= in the spec is named.
TEST_F(EnvFile, EsPathConfThereIsTheDirectoryEveryoneReads) {
    const std::string home = make_package_home("8.15.3");
    const fs::path conf = dir_ / "etc-elasticsearch";
    fs::create_directory(conf);
    fs::permissions(conf, fs::perms(0755));
    write_file(conf / "elasticsearch.yml", "http.port: 9377\n");
    write_file(conf / "jvm.options", "-Xms1g\n-Xmx1g\n");
    write_file(env_file_, "ES_PATH_CONF=" + conf.string() + "\n");
    const std::string spec = write_spec(home, "heap_size=256m\nes_path_conf=" + home + "/config\n");

    json j = check_json(spec, 0);
    ASSERT_TRUE(j.is_object());
    EXPECT_THAT(j["readiness"]["source"].get<std::string>(),
                HasSubstr("http.port 9377 (" + conf.string() + "/elasticsearch.yml:1)"));
    EXPECT_EQ(j["preflight"]["elasticsearch_yml"], conf.string() + "/elasticsearch.yml");
    EXPECT_EQ(j["heap"]["overrides"], json({"-Xms1g (" + conf.string() + "/jvm.options:1)",
                                            "-Xmx1g (" + conf.string() + "/jvm.options:2)"}));
    EXPECT_EQ(j["settings"]["es_path_conf"]["value"], conf.string());
    json& f = j["environment_file"];
    EXPECT_EQ(f["layout"], "package");
    EXPECT_EQ(f["path"], env_file_);
    EXPECT_EQ(f["config_dir"], conf.string());
    EXPECT_EQ(f["config_dir_source"], env_file_ + ":1");
    ASSERT_EQ(f["findings"].size(), 1U);
    EXPECT_EQ(f["findings"][0]["id"], "env-file-es-path-conf");
    EXPECT_THAT(f["findings"][0]["message"].get<std::string>(), HasSubstr("not es_path_conf=" + home + "/config"));

    auto text = run_eslaunch({"check", spec}, base_env);
    EXPECT_EQ(text.status, 0) << text.err;
    EXPECT_THAT(text.out, HasSubstr("environment file:\n  layout         package (" + home +
                                    "/bin/elasticsearch-env:"));
    EXPECT_THAT(text.out, HasSubstr("  config dir     " + conf.string() + " (" + env_file_ + ":1)"));

    auto r = run_eslaunch({spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("warning: " + env_file_ + ":1: ES_PATH_CONF=" + conf.string()));
    std::ifstream in(record_);
    const json rec = json::parse(in, nullptr, false);
    ASSERT_TRUE(rec.is_object()) << "no record";
    EXPECT_THAT(rec["jvm_args"], ::testing::Contains("-Des.path.conf=" + conf.string()));
    EXPECT_EQ(rec["heap"]["xmx"], "256m");
}

// OpenSearch's package script sources the file without export: what only
// the file sets never reaches the JVM's options parser, and eslaunch says
// so; written with export it does.
TEST_F(EnvFile, OpenSearchGetsOnlyWhatTheFileExports) {
    const std::string home = make_package_home("opensearch-2.19.1");
    const fs::path spec = dir_ / "os.ini";
    write_file(spec, "[program:os]\ncommand=" + home + "/bin/opensearch\nuser=" + test_user + "\ntmpdir=" +
                         (dir_ / "tmp").string() + "\nenvironment=FAKE_ES_RECORD=\"" + record_ +
                         "\",FAKE_ES_EXIT=\"1\"\n");
    for (const bool exported : {false, true}) {
        SCOPED_TRACE(exported);
        fs::remove(record_);
        write_file(env_file_, "OPENSEARCH_PATH_CONF=" + home + "/config\n" + (exported ? "export " : "") +
                                  "OPENSEARCH_JAVA_OPTS=\"-Xmx3g\"\n");
        auto r = run_eslaunch({spec.string()}, base_env);
        ASSERT_EQ(r.status, 0) << r.err;
        const std::string warning = "warning: " + env_file_ + ":2: OPENSEARCH_JAVA_OPTS='-Xmx3g' never reaches the "
                                    "node: bin/opensearch-env sources this file without exporting it";
        std::ifstream in(record_);
        const json rec = json::parse(in, nullptr, false);
        ASSERT_TRUE(rec.is_object()) << "no record";
        if (exported) {
            EXPECT_THAT(r.err, Not(HasSubstr("never reaches")));
            EXPECT_EQ(rec["heap"]["xmx"], "3g");
        } else {
            EXPECT_THAT(r.err, HasSubstr(warning));
            EXPECT_EQ(rec["heap"]["xmx"], "1g");  // jvm.options'
        }
    }
}

// Neither the environment nor the file sets ES_PATH_CONF: the package script
// would stop, so eslaunch does (78), in check too; the fake agrees.
TEST_F(EnvFile, NoEsPathConfAnywhereIs78) {
    const std::string home = make_package_home("7.17.25");
    write_file(env_file_, "ES_STARTUP_SLEEP_TIME=5\n");
    const std::string spec = write_spec(home, "");
    auto r = run_eslaunch({spec}, base_env);
    EXPECT_EQ(r.status, 78) << r.err;
    EXPECT_THAT(r.err, HasSubstr("\"ES_PATH_CONF must be set to the configuration path\""));
    EXPECT_THAT(r.err, HasSubstr("add environment=ES_PATH_CONF=/etc/elasticsearch to the spec"));
    EXPECT_FALSE(fs::exists(record_)) << "the node was started";
    auto check = run_eslaunch({"check", spec}, base_env);
    EXPECT_EQ(check.status, 78);
    EXPECT_THAT(check.err, HasSubstr("ES_PATH_CONF must be set"));
    // What eslaunch foresees: the fake's own script stops the same way.
    auto fake = run_command({home + "/bin/elasticsearch"}, {"PATH=/usr/bin:/bin", "FAKE_ES_RECORD=" + record_});
    EXPECT_EQ(fake.status, 1);
    EXPECT_EQ(fake.out, "ES_PATH_CONF must be set to the configuration path\n");
    EXPECT_FALSE(fs::exists(record_));
}

// MAX_OPEN_FILES there is read by nothing: a warning naming limit_nofile=,
// at launch (which goes on) and in check.
TEST_F(EnvFile, MaxOpenFilesIsAWarning) {
    const std::string home = make_package_home("7.17.25");
    write_file(env_file_, "ES_PATH_CONF=" + home + "/config\nMAX_OPEN_FILES=65536\n");
    const std::string spec = write_spec(home, "");
    auto r = run_eslaunch({spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("warning: " + env_file_ + ":2: MAX_OPEN_FILES=65536: read by nothing under systemd "
                                 "or eslaunch"));
    EXPECT_THAT(r.err, HasSubstr("set limit_nofile=65536"));
    EXPECT_TRUE(fs::exists(record_));
    json j = check_json(spec, 0);
    ASSERT_TRUE(j.is_object());
    ASSERT_EQ(j["environment_file"]["findings"].size(), 1U);
    EXPECT_EQ(j["environment_file"]["findings"][0]["id"], "env-file-max-open-files");
    EXPECT_EQ(j["environment_file"]["findings"][0]["where"], env_file_ + ":2");
    EXPECT_EQ(j["environment_file"]["assignments"][1], (json{{"name", "MAX_OPEN_FILES"}, {"value", "65536"}, {"line", 2}}));
    auto text = run_eslaunch({"check", spec}, base_env);
    EXPECT_THAT(text.out, HasSubstr("  warning  env-file-max-open-files: MAX_OPEN_FILES=65536"));
    EXPECT_THAT(text.out, HasSubstr("           at: " + env_file_ + ":2\n"));
}

// A line with $(...) is reported as unreadable, never guessed at.
TEST_F(EnvFile, CommandSubstitutionIsReportedUnreadable) {
    const std::string home = make_package_home("8.15.3");
    write_file(env_file_, "ES_PATH_CONF=" + home + "/config\nNODE_NAME=$(hostname)\n");
    const std::string spec = write_spec(home, "");
    auto r = run_eslaunch({spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, HasSubstr("warning: " + env_file_ + ":2: cannot be read statically: command substitution"));
    EXPECT_THAT(r.err, HasSubstr("NODE_NAME=$(hostname)"));
    json j = check_json(spec, 0);
    ASSERT_TRUE(j.is_object());
    ASSERT_EQ(j["environment_file"]["findings"].size(), 1U);
    EXPECT_EQ(j["environment_file"]["findings"][0]["id"], "env-file-unreadable");
    EXPECT_EQ(j["environment_file"]["findings"][0]["where"], env_file_ + ":2");
}

// The file is writable by the service's group, so it may be a FIFO: root
// reads it only as a regular file, and says so, instead of blocking.
TEST_F(EnvFile, AFifoInItsPlaceIsReportedNotWaitedFor) {
    const std::string home = make_package_home("8.15.3");
    ASSERT_EQ(mkfifo(env_file_.c_str(), 0666), 0);
    const std::string spec = write_spec(home, "");
    auto r = run_command({"/usr/bin/timeout", "30", eslaunch_binary(), "check", "--json", spec}, base_env);
    ASSERT_EQ(r.status, 0) << "124: eslaunch waited for a writer; " << r.err;
    json j = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object());
    ASSERT_EQ(j["environment_file"]["findings"].size(), 1U);
    EXPECT_EQ(j["environment_file"]["findings"][0]["id"], "env-file-unreadable");
    EXPECT_THAT(j["environment_file"]["findings"][0]["message"].get<std::string>(), HasSubstr("not a regular file"));
}

// An archive (make_home.sh's default) has no environment file: no finding,
// and its config/ default still holds.
TEST_F(EnvFile, AnArchiveReadsNone) {
    const std::string home = (dir_ / "es-archive").string();
    command_output({"/bin/bash", getenv_or_fail("ESLAUNCH_MAKE_HOME"), "7.17.25", home,
                    getenv_or_fail("ESLAUNCH_FAKE_ES")});
    const std::string spec = write_spec(home, "");
    json j = check_json(spec, 0);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["environment_file"]["layout"], "archive");
    EXPECT_TRUE(j["environment_file"]["path"].is_null());
    EXPECT_EQ(j["environment_file"]["config_dir"], home + "/config");
    EXPECT_TRUE(j["environment_file"]["findings"].empty());
    auto r = run_eslaunch({spec}, base_env);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("elasticsearch-env")));
}

}  // namespace
}  // namespace eslaunch::testing
