# Install-time step of cmake/Install.cmake: copies MM_SYSTEMD_UNIT to PREFIX/lib/systemd/system with
# its /usr/local/ paths (ExecStart, Documentation) moved under the install prefix.
file(READ "${MM_SYSTEMD_UNIT}" unit)
string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" unit "${unit}")
set(target "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib/systemd/system/mysql-monitor.service")
message(STATUS "Installing: ${target}")
file(WRITE "${target}" "${unit}")
