// FunctionRef<R(Args...)>: a non-owning reference to a callable, for callbacks on hot paths.
//
// std::function may allocate to hold its callable (a lambda capturing a few references already
// does), once per call of the function taking it; a FunctionRef is two pointers and never
// allocates. The callable (a lambda or function object) must outlive the FunctionRef: pass it as
// a parameter, do not store it.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace mm {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_object_v<std::remove_reference_t<F>> && std::is_invocable_r_v<R, F&, Args...>)
      FunctionRef(
          F&& callable)  // NOLINT(google-explicit-constructor): used like a function pointer
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(callable)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace mm
