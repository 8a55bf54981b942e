#include "proto/reply_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace stalk::proto {
namespace {

// Feeds `input` in pieces of the given sizes (the last piece takes the rest) and
// collects every reply; stops at the first kBadReply.
struct Outcome {
  std::vector<RawReply> replies;
  bool bad = false;
  std::string error;
};

Outcome Feed(std::string_view input, const std::vector<size_t>& cuts,
             uint64_t max_body = kMaxMaxJobBytes) {
  ReplyReader reader(max_body);
  Outcome out;
  size_t pos = 0;
  size_t piece = 0;
  while (pos < input.size()) {
    size_t len =
        piece < cuts.size() ? std::min(cuts[piece], input.size() - pos) : input.size() - pos;
    ++piece;
    std::string_view chunk = input.substr(pos, len);
    pos += len;
    while (true) {
      size_t used = 0;
      ReplyReader::Event ev = reader.Next(chunk, &used);
      chunk.remove_prefix(used);
      if (ev == ReplyReader::Event::kBadReply) {
        out.bad = true;
        out.error = reader.error();
        return out;
      }
      if (ev == ReplyReader::Event::kReply) {
        out.replies.push_back(reader.TakeReply());
        continue;
      }
      EXPECT_TRUE(chunk.empty()) << "kNeedMore must consume everything";
      break;
    }
  }
  return out;
}

Outcome FeedWhole(std::string_view input) { return Feed(input, {}); }

TEST(ReplyReader, ReadsSimpleLines) {
  Outcome o = FeedWhole("INSERTED 5\r\nNOT_FOUND\r\nUSING foo\r\n");
  ASSERT_FALSE(o.bad) << o.error;
  ASSERT_EQ(o.replies.size(), 3u);
  EXPECT_EQ(o.replies[0].word(), "INSERTED");
  EXPECT_EQ(o.replies[0].args(), "5");
  EXPECT_FALSE(o.replies[0].has_body);
  EXPECT_EQ(o.replies[1].word(), "NOT_FOUND");
  EXPECT_EQ(o.replies[1].args(), "");
  EXPECT_EQ(o.replies[2].args(), "foo");
}

TEST(ReplyReader, CountsBodyBytesInsteadOfSearchingForCrlf) {
  // The body holds CRLFs and a whole reply line; the reply after it must survive
  // (jackd's cut swallowed it, seeds.md §3.2).
  std::string body = "first\r\nINSERTED 9\r\n\r\n";
  std::string in =
      "RESERVED 7 " + std::to_string(body.size()) + "\r\n" + body + "\r\nINSERTED 3\r\n";
  Outcome o = FeedWhole(in);
  ASSERT_FALSE(o.bad) << o.error;
  ASSERT_EQ(o.replies.size(), 2u);
  EXPECT_TRUE(o.replies[0].has_body);
  EXPECT_EQ(o.replies[0].id, 7u);
  EXPECT_EQ(o.replies[0].body, body);
  EXPECT_EQ(o.replies[1].line, "INSERTED 3");
}

TEST(ReplyReader, ReadsFoundAndOkAndEmptyBodies) {
  Outcome o = FeedWhole("FOUND 1 0\r\n\r\nOK 4\r\n---\n\r\n");
  ASSERT_FALSE(o.bad) << o.error;
  ASSERT_EQ(o.replies.size(), 2u);
  EXPECT_EQ(o.replies[0].body, "");
  EXPECT_EQ(o.replies[0].id, 1u);
  EXPECT_EQ(o.replies[1].body, "---\n");
  EXPECT_EQ(o.replies[1].id, 0u);
}

TEST(ReplyReader, BinaryBodyWithNulBytes) {
  std::string body("\0\1\2\r\n\xff", 6);
  Outcome o = FeedWhole("RESERVED 2 6\r\n" + body + "\r\n");
  ASSERT_EQ(o.replies.size(), 1u);
  EXPECT_EQ(o.replies[0].body, body);
}

TEST(ReplyReader, DataNotFollowedByCrlfIsBad) {
  Outcome o = FeedWhole("RESERVED 2 3\r\nabcXY");
  EXPECT_TRUE(o.bad);
  EXPECT_NE(o.error.find("CRLF"), std::string::npos);
}

TEST(ReplyReader, MalformedHeadersAreBad) {
  for (const char* in : {"RESERVED 1\r\n", "RESERVED x 3\r\n", "FOUND 1 -3\r\n", "OK\r\n",
                         "OK +3\r\n", "RESERVED 1 99999999999999999999999\r\n", "INSERTED 1\n"}) {
    Outcome o = FeedWhole(in);
    EXPECT_TRUE(o.bad) << in;
    EXPECT_FALSE(o.error.empty()) << in;
  }
}

TEST(ReplyReader, OverLongLineIsBadWithoutWaitingForItsEnd) {
  std::string in(ReplyReader::kMaxReplyLineBytes + 1, 'A');
  Outcome o = FeedWhole(in);
  EXPECT_TRUE(o.bad);
}

TEST(ReplyReader, BodyOverTheLimitIsBad) {
  Outcome o = Feed("RESERVED 1 11\r\n", {}, /*max_body=*/10);
  EXPECT_TRUE(o.bad);
  o = Feed("RESERVED 1 10\r\n0123456789\r\n", {}, /*max_body=*/10);
  EXPECT_FALSE(o.bad) << o.error;
}

TEST(ReplyReader, StaysBadAfterAnError) {
  ReplyReader reader;
  size_t used = 0;
  EXPECT_EQ(reader.Next("OK x\r\n", &used), ReplyReader::Event::kBadReply);
  EXPECT_EQ(reader.Next("INSERTED 1\r\n", &used), ReplyReader::Event::kBadReply);
}

TEST(ReplyReader, CrAndLfInSeparateCalls) {
  Outcome o = Feed("DELETED\r\nRESERVED 1 2\r\nab\r\n", {8, 1, 13, 1, 2, 1});
  ASSERT_FALSE(o.bad) << o.error;
  ASSERT_EQ(o.replies.size(), 2u);
  EXPECT_EQ(o.replies[0].line, "DELETED");
  EXPECT_EQ(o.replies[1].body, "ab");
}

// Any split of a stream gives the same replies as the whole stream.
TEST(ReplyReader, RandomSplitsGiveTheSameReplies) {
  std::mt19937 rng(20240611);
  std::string stream;
  std::vector<std::string> bodies;
  for (int i = 0; i < 200; ++i) {
    switch (rng() % 5) {
      case 0:
        stream += "INSERTED " + std::to_string(i) + "\r\n";
        bodies.push_back("");
        break;
      case 1:
        stream += "TIMED_OUT\r\n";
        bodies.push_back("");
        break;
      default: {
        std::string body(rng() % 300, '\0');
        for (char& c : body) c = "ab\r\n\0\xff"[rng() % 6];
        const char* word = (rng() % 2) ? "RESERVED " : "FOUND ";
        stream +=
            word + std::to_string(i) + " " + std::to_string(body.size()) + "\r\n" + body + "\r\n";
        bodies.push_back(body);
      }
    }
  }
  Outcome whole = FeedWhole(stream);
  ASSERT_FALSE(whole.bad) << whole.error;
  ASSERT_EQ(whole.replies.size(), 200u);
  for (size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(whole.replies[i].body, bodies[i]);

  for (int round = 0; round < 300; ++round) {
    std::vector<size_t> cuts;
    size_t total = 0;
    while (total < stream.size()) {
      size_t len = (round % 3 == 0) ? 1 + rng() % 3 : 1 + rng() % 97;
      cuts.push_back(len);
      total += len;
    }
    Outcome split = Feed(stream, cuts);
    ASSERT_FALSE(split.bad) << split.error;
    ASSERT_EQ(split.replies.size(), whole.replies.size()) << "round " << round;
    for (size_t i = 0; i < split.replies.size(); ++i) {
      ASSERT_EQ(split.replies[i].line, whole.replies[i].line) << "round " << round;
      ASSERT_EQ(split.replies[i].body, whole.replies[i].body) << "round " << round;
      ASSERT_EQ(split.replies[i].id, whole.replies[i].id);
    }
  }
}

}  // namespace
}  // namespace stalk::proto
