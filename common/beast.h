// Boost.Beast (HTTP) through the project's Asio wrapper; see common/asio.h.
#pragma once

#include "common/asio.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace synod {
namespace beast = boost::beast;
namespace http = boost::beast::http;
}  // namespace synod
