#pragma once
// Status and Result<T> live in the public headers (include/baton/status.h) because
// public interfaces that users implement (result storage, lock managers) return them.
#include <baton/status.h>
