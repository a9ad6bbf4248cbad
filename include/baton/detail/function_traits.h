#pragma once
#include <functional>
#include <tuple>
#include <type_traits>

namespace baton::detail {

// The signature R(Args...) of a callable: a lambda (non-generic), a function or a
// function pointer, or a std::function.
template <class F>
struct function_traits : function_traits<decltype(&std::remove_cvref_t<F>::operator())> {};
template <class R, class... A>
struct function_traits<R (*)(A...)> {
  using signature = R(A...);
};
template <class R, class... A>
struct function_traits<R(A...)> {
  using signature = R(A...);
};
template <class C, class R, class... A>
struct function_traits<R (C::*)(A...) const> {
  using signature = R(A...);
};
template <class C, class R, class... A>
struct function_traits<R (C::*)(A...)> {
  using signature = R(A...);
};
template <class C, class R, class... A>
struct function_traits<R (C::*)(A...) const noexcept> {
  using signature = R(A...);
};
template <class C, class R, class... A>
struct function_traits<R (C::*)(A...) noexcept> {
  using signature = R(A...);
};

}  // namespace baton::detail
