# What `cmake --install BUILD [--prefix PREFIX]` puts where (README "Packaging"):
#   PREFIX/bin/mysql-monitor
#   PREFIX/share/doc/mysql-monitor/   README.md, config-example.cfg, docs/*.md, message.schema.json,
#                                     examples/ (the example consumers' sources)
#   PREFIX/lib/systemd/system/mysql-monitor.service   ExecStart under PREFIX
#   PREFIX/lib/sysusers.d/mysql-monitor.conf          the service's dedicated user
#   PREFIX/share/mysql-monitor/mysql-monitor.cfg.example  the example configuration, where the
#                                     Debian package's postinst takes /etc/mysql-monitor's from
#                                     (doc directories may be left out of an install)
# tests/packaging/install_test.sh installs into a temporary prefix and checks all of it.
include(GNUInstallDirs)
set(MM_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/mysql-monitor)

install(TARGETS mysql-monitor RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md config-example.cfg packaging/debian/copyright DESTINATION ${MM_DOC_DIR})
install(FILES config-example.cfg DESTINATION ${CMAKE_INSTALL_DATADIR}/mysql-monitor
        RENAME mysql-monitor.cfg.example)
install(DIRECTORY docs/ DESTINATION ${MM_DOC_DIR} FILES_MATCHING PATTERN "*.md" PATTERN "*.json")
install(DIRECTORY examples/ DESTINATION ${MM_DOC_DIR}/examples USE_SOURCE_PERMISSIONS PATTERN "CMakeLists.txt" EXCLUDE)
install(FILES packaging/systemd/mysql-monitor.sysusers DESTINATION lib/sysusers.d RENAME mysql-monitor.conf)
# The unit names /usr/local/bin; the prefix is known only when installing (--prefix), so the
# rewrite runs then.
install(CODE "set(MM_SYSTEMD_UNIT \"${PROJECT_SOURCE_DIR}/packaging/systemd/mysql-monitor.service\")")
install(SCRIPT cmake/InstallSystemdUnit.cmake)
