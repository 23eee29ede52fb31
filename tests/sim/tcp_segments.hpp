#pragma once
// What the kernel counted on a TCP socket, for tests that check how a response was cut into
// segments. Its own translation unit: the kernel's <linux/tcp.h>, whose tcp_info has the
// counters, clashes with glibc's <netinet/tcp.h>, which Asio includes.

namespace inferbench::sim {

// Segments carrying data that the socket has received (TCP_INFO's tcpi_data_segs_in).
unsigned data_segments_received(int fd);

}  // namespace inferbench::sim
