// A textual IP address and port as a sockaddr, for the native clients that
// talk to other nodes with plain sockets (the resolver's upstream, the
// opcode-201 verifier).
#ifndef QILIAN_CORE_SOCKADDR_H_
#define QILIAN_CORE_SOCKADDR_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace qilian {

// Fills `out` and `len` from an IPv4 or IPv6 literal; false for anything else.
bool ParseSockaddr(const std::string& address, uint16_t port, sockaddr_storage* out,
                   socklen_t* len);

}  // namespace qilian

#endif  // QILIAN_CORE_SOCKADDR_H_
