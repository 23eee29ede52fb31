#include "tcp_segments.hpp"

#include <linux/in.h>  // IPPROTO_TCP, from the kernel's headers like tcp_info
#include <linux/tcp.h>
#include <sys/socket.h>

#include <stdexcept>

namespace inferbench::sim {

unsigned data_segments_received(int fd) {
  tcp_info info{};
  socklen_t size = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) throw std::runtime_error("TCP_INFO failed");
  return info.tcpi_data_segs_in;
}

}  // namespace inferbench::sim
