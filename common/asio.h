// The one project header that includes Boost.Asio (and Beast).
//
// g++ 12 with Boost 1.74 under -std=c++20 fails inside
// boost/asio/awaitable.hpp because it uses std::exchange without including
// <utility>. Including <utility> first fixes it; every synod file that needs
// Asio or Beast includes this header instead of Boost directly.
#pragma once

#include <utility>  // must precede Boost.Asio: see above.

#include <boost/asio.hpp>
#include <boost/asio/steady_timer.hpp>

namespace synod {
namespace asio = boost::asio;
using boost::system::error_code;
}  // namespace synod
