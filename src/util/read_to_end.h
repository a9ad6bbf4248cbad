#pragma once
// Reads an open descriptor to its end (retrying on EINTR): the whole small file
// a metadata record is. The descriptor stays open.
#include <string>

namespace baton {

// Appends everything left in `fd` to `out`; 0, or the errno of the failed read.
int read_to_end(int fd, std::string& out);

}  // namespace baton
