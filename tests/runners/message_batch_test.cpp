// The batch format of the process pool and MPI: what goes in comes out in
// order; anything else is an Error naming the peer, never a crash or a misread.
#include "runners/message_batch.h"
#include "runners/socket_frames.h"

#include <baton/error.h>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace baton::runners {
namespace {

using Messages = std::vector<std::pair<MessageKind, std::string>>;

Messages read_all(std::string_view batch) {
  Messages out;
  read_batch(batch, "worker process 42", [&](MessageKind k, std::string_view body) { out.emplace_back(k, body); });
  return out;
}

std::string error_of(std::string_view batch) {
  try {
    read_all(batch);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(MessageBatch, MessagesComeOutInTheOrderTheyWentIn) {
  BatchWriter w(false);
  w.add(MessageKind::Event, "log line");
  w.add(MessageKind::Reply, std::string("\0\1\2", 3));
  w.add(MessageKind::Reply, "");
  const std::string batch = w.take();
  EXPECT_EQ(read_all(batch), (Messages{{MessageKind::Event, "log line"},
                                       {MessageKind::Reply, std::string("\0\1\2", 3)},
                                       {MessageKind::Reply, ""}}));
  EXPECT_TRUE(w.empty());  // ready for the next batch
  w.add(MessageKind::Request, "next");
  EXPECT_EQ(read_all(w.take()), (Messages{{MessageKind::Request, "next"}}));
}

TEST(MessageBatch, EveryTruncationIsAnErrorNamingThePeer) {
  BatchWriter w(false);
  w.add(MessageKind::Reply, "a reply of some length");
  w.add(MessageKind::Event, "an event");
  const std::string batch = w.take();
  for (std::size_t cut = 0; cut < batch.size(); ++cut) {
    const std::string e = error_of(std::string_view(batch).substr(0, cut));
    EXPECT_NE(e.find("worker process 42 sent a malformed message batch"), std::string::npos) << cut << ": " << e;
  }
  EXPECT_NE(error_of(batch + "x").find("1 bytes after its last message"), std::string::npos);
}

TEST(MessageBatch, AnotherVersionIsRefusedByName) {
  BatchWriter w(false);
  w.add(MessageKind::Reply, "r");
  std::string batch = w.take();
  batch[0] = 7;
  EXPECT_NE(error_of(batch).find("version 7, expected 1"), std::string::npos) << error_of(batch);
}

TEST(MessageBatch, AHugeLengthIsAnErrorNotAnAllocation) {
  BatchWriter w(false);
  w.add(MessageKind::Reply, "r");
  std::string batch = w.take();
  const std::uint64_t huge = ~std::uint64_t{0};
  std::memcpy(batch.data() + 1 + 4 + 1, &huge, sizeof huge);
  EXPECT_NE(error_of(batch).find("wants"), std::string::npos) << error_of(batch);
}

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~SocketPair() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
};

TEST(FrameReader, ReadsWholeFramesAndSaysWhenAStreamEndsInsideOne) {
  SocketPair s;
  BatchWriter w(true);
  w.add(MessageKind::Request, std::string(300000, 'x'));  // larger than one read
  const std::string frame = w.take();
  // From another thread: the frame is larger than the socket's buffer.
  std::thread writer([&] {
    EXPECT_TRUE(send_all(s.fds[0], frame));
    EXPECT_TRUE(send_all(s.fds[0], std::string_view(frame).substr(0, 20)));  // then part of a frame
    close(s.fds[0]);
    s.fds[0] = -1;
  });

  FrameReader reader(s.fds[1]);
  std::string_view got;
  std::string error;
  ASSERT_EQ(reader.next(got, true, error), FrameReader::Got::Frame);
  Messages m = read_all(got);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].second.size(), 300000u);
  EXPECT_EQ(reader.next(got, true, error), FrameReader::Got::Malformed);
  EXPECT_NE(error.find("ended inside a frame"), std::string::npos) << error;
  writer.join();
}

TEST(FrameReader, AnAbsurdLengthIsMalformedAndNonBlockingReadsReportEmpty) {
  SocketPair s;
  FrameReader reader(s.fds[1]);
  std::string_view got;
  std::string error;
  EXPECT_EQ(reader.next(got, false, error), FrameReader::Got::Empty);
  const std::uint64_t absurd = std::uint64_t{1} << 62;
  ASSERT_TRUE(send_all(s.fds[0], std::string_view(reinterpret_cast<const char*>(&absurd), sizeof absurd)));
  EXPECT_EQ(reader.next(got, true, error), FrameReader::Got::Malformed);
  EXPECT_NE(error.find("claims"), std::string::npos) << error;
}

// After a read that emptied the socket, a non-blocking call answers Empty
// without asking the socket; a frame that comes later is still read.
TEST(FrameReader, AFrameThatComesAfterAnEmptyAnswerIsStillRead) {
  SocketPair s;
  auto frame_of = [](const std::string& body) {
    BatchWriter w(true);
    w.add(MessageKind::Request, body);
    return w.take();
  };
  FrameReader reader(s.fds[1]);
  std::string_view got;
  std::string error;
  ASSERT_TRUE(send_all(s.fds[0], frame_of("first")));
  ASSERT_EQ(reader.next(got, true, error), FrameReader::Got::Frame);
  EXPECT_EQ(read_all(got).at(0).second, "first");
  EXPECT_EQ(reader.next(got, false, error), FrameReader::Got::Empty);
  ASSERT_TRUE(send_all(s.fds[0], frame_of("second")));
  FrameReader::Got next = reader.next(got, false, error);
  if (next == FrameReader::Got::Empty) next = reader.next(got, false, error);  // at most one more Empty
  ASSERT_EQ(next, FrameReader::Got::Frame);
  EXPECT_EQ(read_all(got).at(0).second, "second");
  EXPECT_EQ(reader.next(got, false, error), FrameReader::Got::Empty);
}

}  // namespace
}  // namespace baton::runners
