#pragma once
// The results layer's implementation of the engine's ResultBackend, over ResultStore.
#include "engine/result_backend.h"

#include <memory>

namespace baton::results {

std::unique_ptr<engine::ResultBackend> make_engine_backend();

}  // namespace baton::results
