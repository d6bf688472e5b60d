// The INI layer: sections, entries, continuation values and their lines.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eslaunch/ini.hpp"

namespace eslaunch {
namespace {

TEST(Ini, SectionsEntriesAndLines) {
    auto ini = parse_ini(
        "; comment\n"
        "[supervisord]\n"
        "nodaemon = true\n"
        "\n"
        "[program:x]\n"
        "command : /bin/echo a=b:c\n"
        "environment=\n"
        "  A=\"1\",\n"
        "\n"
        "  B=\"2\" ; end\n"
        "user=work\n",
        "/f.ini");
    ASSERT_TRUE(ini) << ini.error().front().str();
    ASSERT_EQ(ini->sections.size(), 2U);
    EXPECT_EQ(ini->sections[0].name, "supervisord");
    EXPECT_EQ(ini->sections[0].entries[0].key, "nodaemon");
    EXPECT_EQ(ini->sections[0].entries[0].value.text, "true");
    const auto& program = ini->sections[1];
    EXPECT_EQ(program.line, 5);
    ASSERT_EQ(program.entries.size(), 3U);
    EXPECT_EQ(program.entries[0].key, "command");
    EXPECT_EQ(program.entries[0].value.text, "/bin/echo a=b:c");
    const IniValue& env = program.entries[1].value;
    EXPECT_EQ(env.text, "\nA=\"1\",\n\nB=\"2\"");
    EXPECT_EQ(env.line_at(env.text.find('A')), 8);
    EXPECT_EQ(env.line_at(env.text.find('B')), 10);
    ASSERT_EQ(env.cuts.size(), 1U);
    EXPECT_EQ(env.cuts[0].line, 10);
    EXPECT_EQ(env.cuts[0].marker, ';');
    EXPECT_EQ(program.entries[2].line, 11);
}

TEST(Ini, IndentationDecidesContinuation) {
    // An indented first key sets the level; equally indented lines are keys.
    auto ini = parse_ini("[program:x]\n  command=/bin/a\n  user=w\n    more\n", "/f.ini");
    ASSERT_TRUE(ini);
    const auto& entries = ini->sections[0].entries;
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[1].value.text, "w\nmore");
}

TEST(Ini, FirstDelimiterSplits) {
    auto ini = parse_ini("[s]\na:b=c\nd=e:f\n", "/f.ini");
    ASSERT_TRUE(ini);
    EXPECT_EQ(ini->sections[0].entries[0].key, "a");
    EXPECT_EQ(ini->sections[0].entries[0].value.text, "b=c");
    EXPECT_EQ(ini->sections[0].entries[1].key, "d");
    EXPECT_EQ(ini->sections[0].entries[1].value.text, "e:f");
}

TEST(Ini, LoneCarriageReturnEndsALine) {
    auto ini = parse_ini("[s]\ra=1\rb=2\r", "/f.ini");
    ASSERT_TRUE(ini);
    ASSERT_EQ(ini->sections[0].entries.size(), 2U);
    EXPECT_EQ(ini->sections[0].entries[1].line, 3);
}

TEST(Ini, ValidUtf8IsKept) {
    auto ini = parse_ini("[s]\na=caf\xc3\xa9 \xf0\x9f\x98\x80\n", "/f.ini");
    ASSERT_TRUE(ini);
    EXPECT_EQ(ini->sections[0].entries[0].value.text, "caf\xc3\xa9 \xf0\x9f\x98\x80");
}

TEST(Ini, TruncatedUtf8AtTheEnd) {
    auto ini = parse_ini("[s]\na=\xe2\x82", "/f.ini");
    ASSERT_FALSE(ini);
    EXPECT_EQ(ini.error().front().str(), "/f.ini:2: invalid UTF-8 (byte 0xe2); save the file as UTF-8");
}

}  // namespace
}  // namespace eslaunch
