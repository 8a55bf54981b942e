#include "proto/reply.h"

#include <gtest/gtest.h>

#include <string>

namespace stalk::proto {
namespace {

TEST(Reply, EveryReplyWordIsBeanstalkdsText) {
  const std::pair<Reply, const char*> cases[] = {
      {Reply::kOutOfMemory, "OUT_OF_MEMORY"},
      {Reply::kInternalError, "INTERNAL_ERROR"},
      {Reply::kBadFormat, "BAD_FORMAT"},
      {Reply::kUnknownCommand, "UNKNOWN_COMMAND"},
      {Reply::kExpectedCrlf, "EXPECTED_CRLF"},
      {Reply::kJobTooBig, "JOB_TOO_BIG"},
      {Reply::kDraining, "DRAINING"},
      {Reply::kDeadlineSoon, "DEADLINE_SOON"},
      {Reply::kTimedOut, "TIMED_OUT"},
      {Reply::kNotFound, "NOT_FOUND"},
      {Reply::kNotIgnored, "NOT_IGNORED"},
      {Reply::kDeleted, "DELETED"},
      {Reply::kReleased, "RELEASED"},
      {Reply::kBuried, "BURIED"},
      {Reply::kTouched, "TOUCHED"},
      {Reply::kKickedOne, "KICKED"},
      {Reply::kPaused, "PAUSED"},
  };
  for (const auto& [reply, word] : cases) {
    EXPECT_EQ(ReplyWord(reply), word);
    std::string out;
    AppendReply(&out, reply);
    EXPECT_EQ(out, std::string(word) + "\r\n");
  }
}

TEST(Reply, EncodersAppendToWhatIsAlreadyThere) {
  std::string out = "NOT_FOUND\r\n";
  AppendInserted(&out, 1);
  AppendReply(&out, Reply::kDeleted);
  EXPECT_EQ(out, "NOT_FOUND\r\nINSERTED 1\r\nDELETED\r\n");
}

TEST(Reply, NumberedReplies) {
  std::string out;
  AppendInserted(&out, 18446744073709551615ULL);
  EXPECT_EQ(out, "INSERTED 18446744073709551615\r\n");
  out.clear();
  AppendBuriedId(&out, 42);
  EXPECT_EQ(out, "BURIED 42\r\n");
  out.clear();
  AppendKicked(&out, 0);
  EXPECT_EQ(out, "KICKED 0\r\n");
  out.clear();
  AppendKicked(&out, 4294967295ULL);
  EXPECT_EQ(out, "KICKED 4294967295\r\n");
  out.clear();
  AppendWatching(&out, 3);
  EXPECT_EQ(out, "WATCHING 3\r\n");
}

TEST(Reply, UsingNamesTheTube) {
  std::string out;
  AppendUsing(&out, "x_y");
  EXPECT_EQ(out, "USING x_y\r\n");
}

TEST(Reply, JobRepliesCarryIdSizeAndBodyWithTrailingCrlf) {
  std::string out;
  AppendReserved(&out, 1, "hello");
  EXPECT_EQ(out, "RESERVED 1 5\r\nhello\r\n");
  out.clear();
  AppendFound(&out, 7, "");
  EXPECT_EQ(out, "FOUND 7 0\r\n\r\n");
  out.clear();
  // A body that contains CRLF is sent as is; the size tells where it ends.
  AppendReserved(&out, 2, "a\r\nb");
  EXPECT_EQ(out, "RESERVED 2 4\r\na\r\nb\r\n");
}

TEST(Reply, OkCountsTheYamlButNotTheTrailingCrlf) {
  std::string out;
  AppendOk(&out, "---\n- default\n");
  EXPECT_EQ(out, "OK 14\r\n---\n- default\n\r\n");
}

}  // namespace
}  // namespace stalk::proto
