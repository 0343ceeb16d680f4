// Boost.Asio's and Boost.Beast's compiled parts, built once here rather than inline in every
// translation unit that includes their headers (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION, set for the whole project in cmake/strongroom.cmake): a
// file that uses them compiles about 30 % faster in the sanitizer build.

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
