// The spec path rule (untrusted_entry) on stat results built by hand, and
// the walk itself on files this test makes: what it follows, what it
// refuses, and that it never blocks on what is not a regular file. The
// rule against other owners, as root, is in tests/hostile/path_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "path_walk.hpp"

namespace eslaunch::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr std::string_view why = "whoever can edit the spec chooses user= and command=";

struct stat stat_of(uid_t uid, mode_t mode) {
    struct stat st {};
    st.st_uid = uid;
    st.st_mode = mode;
    return st;
}

TEST(PathRule, RootOwnedAndNotWritableByOthers) {
    EXPECT_FALSE(untrusted_entry("/etc/eslaunch/x.ini", stat_of(0, 0100644), why));
    EXPECT_FALSE(untrusted_entry("/etc", stat_of(0, 040755), why));
    const auto owner = untrusted_entry("/etc/eslaunch/x.ini", stat_of(1000, 0100644), why);
    ASSERT_TRUE(owner);
    EXPECT_EQ(owner->what, "/etc/eslaunch/x.ini is owned by uid 1000, not root (mode 0644): whoever can edit the spec "
                           "chooses user= and command=");
    EXPECT_EQ(owner->hint, "chown root /etc/eslaunch/x.ini");
    const auto group = untrusted_entry("/etc/eslaunch", stat_of(0, 040775), why);
    ASSERT_TRUE(group);
    EXPECT_EQ(group->what, "/etc/eslaunch is writable by its group (mode 0775): whoever can edit the spec chooses "
                           "user= and command=");
    EXPECT_EQ(group->hint, "chmod go-w /etc/eslaunch");
    const auto world = untrusted_entry("/etc/eslaunch/x.ini", stat_of(0, 0100646), why);
    ASSERT_TRUE(world);
    EXPECT_THAT(world->what, HasSubstr("writable by everyone (mode 0646)"));
}

TEST(PathRule, StickyDirectoriesAndLinks) {
    EXPECT_FALSE(untrusted_entry("/tmp", stat_of(0, 041777), why));  // sticky: others cannot move root's entries
    EXPECT_TRUE(untrusted_entry("/srv/shared", stat_of(0, 040777), why));  // not sticky
    EXPECT_TRUE(untrusted_entry("/tmp/x", stat_of(0, 0101666), why));      // a sticky file is not a sticky directory
    EXPECT_TRUE(untrusted_entry("/home/u", stat_of(1000, 041777), why));  // sticky, but its owner may do anything
    EXPECT_FALSE(untrusted_entry("/etc/link", stat_of(0, 0120777), why));  // a link's mode means nothing
    const auto link = untrusted_entry("/tmp/link", stat_of(1000, 0120777), why);
    ASSERT_TRUE(link);
    EXPECT_EQ(link->what, "/tmp/link is a symbolic link owned by uid 1000, not root: whoever can edit the spec "
                          "chooses user= and command=");
    EXPECT_EQ(link->hint, "chown -h root /tmp/link");
}

class Walk : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/eslaunch-walk.XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }
    std::string write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
        return (dir_ / name).string();
    }
    Expected<std::string, Error> read(const std::string& path, std::size_t max = 1 << 20) {
        return read_walking(path, Trust::any, max, path, text_);
    }
    fs::path dir_;
    WalkText text_{why, "check the path", "give a regular file"};
};

TEST_F(Walk, FollowsLinksAndDotDotAsTheKernel) {
    const std::string file = write("a.ini", "text");
    fs::create_directory(dir_ / "sub");
    fs::create_directory_symlink(dir_ / "sub", dir_ / "abs-link");  // absolute target
    fs::create_symlink("../a.ini", dir_ / "sub" / "rel-link");     // relative, through ..
    auto via = read((dir_ / "abs-link" / "rel-link").string());
    ASSERT_TRUE(via) << via.error().str();
    EXPECT_EQ(*via, "text");
    // abs-link/.. is the parent of sub (dir_), as the kernel has it, not dir_'s parent.
    auto dotdot = read((dir_ / "abs-link" / ".." / "a.ini").string());
    ASSERT_TRUE(dotdot) << dotdot.error().str();
    EXPECT_EQ(*dotdot, "text");
}

TEST_F(Walk, RefusesWhatIsNotARegularFileWithoutBlocking) {
    ASSERT_EQ(mkfifo((dir_ / "fifo").c_str(), 0644), 0);
    auto fifo = read((dir_ / "fifo").string());  // a plain open() would wait for a writer
    ASSERT_FALSE(fifo);
    EXPECT_EQ(fifo.error().status, 78);
    EXPECT_EQ(fifo.error().str(), (dir_ / "fifo").string() + ": not a regular file; give a regular file");
    auto directory = read(dir_.string());
    ASSERT_FALSE(directory);
    EXPECT_EQ(directory.error().what, "not a regular file");
    auto dev = read("/dev/zero");
    ASSERT_FALSE(dev);
    EXPECT_EQ(dev.error().what, "not a regular file");
}

TEST_F(Walk, MissingLoopsAndSizes) {
    auto missing = read((dir_ / "nope.ini").string());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().str(), (dir_ / "nope.ini").string() + ": cannot open: No such file or directory; check the path");
    auto below = read((dir_ / "nope" / "x.ini").string());
    ASSERT_FALSE(below);
    EXPECT_EQ(below.error().what, "cannot open: No such file or directory (" + (dir_ / "nope").string() + ")");
    fs::create_symlink(dir_ / "loop", dir_ / "loop");
    auto loop = read((dir_ / "loop").string());
    ASSERT_FALSE(loop);
    EXPECT_THAT(loop.error().what, HasSubstr("Too many levels of symbolic links"));
    EXPECT_EQ(loop.error().status, 78);
    const std::string big = write("big", std::string(2000, 'x'));
    auto too_big = read(big, 1000);
    ASSERT_FALSE(too_big);
    EXPECT_THAT(too_big.error().what, HasSubstr("file is 2000 bytes, over the limit of 1000"));
    auto relative = read("relative/x.ini");
    ASSERT_FALSE(relative);
    EXPECT_EQ(relative.error().what, "not an absolute path");
}

TEST_F(Walk, RootOnlyJudgesEveryEntryPassed) {
    // As whoever runs the unit tests: a directory of theirs is judged too.
    const std::string file = write("a.ini", "text");
    fs::permissions(dir_, fs::perms(0777));
    auto r = read_walking(file, Trust::root_only, 1 << 20, file, text_);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 78);
    EXPECT_THAT(r.error().what, HasSubstr(dir_.string() + " is "));  // owned by someone else, or writable by everyone
}

}  // namespace
}  // namespace eslaunch::testing
