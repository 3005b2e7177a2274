# The Debian package (README "Packaging"): `cpack -G DEB` in a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr (scripts/package-test.sh builds, lints, installs and runs it).
# What cmake/Install.cmake installs, under /usr, plus the maintainer scripts of packaging/debian:
# the user (systemd-sysusers, else useradd), /var/lib/mysql-monitor, and
# /etc/mysql-monitor/mysql-monitor.cfg from the shipped example on first install (never
# overwritten; removed on purge). Dependencies come from dpkg-shlibdeps.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mysql-monitor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "mysql-monitor maintainers <mysql-monitor@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "MySQL/MariaDB row changes to RabbitMQ (change data capture)")
# The synopsis is the summary; the extended description follows it (lintian: not repeated).
set(CPACK_PACKAGE_DESCRIPTION
    "mysql-monitor connects to a MySQL or MariaDB server as a replica, reads the\n\
row-based binary log and publishes every committed row change as a JSON message\n\
to a RabbitMQ exchange, with confirmed delivery and a saved position.")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/aventri/mysql-monitor")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The systemd unit's paths are rewritten to CMAKE_INSTALL_PREFIX at install time
# (cmake/InstallSystemdUnit.cmake): stage with DESTDIR so that prefix is /usr, not the staging dir.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
