#include "app/run.h"

int main(int argc, char** argv) { return mm::app::runDaemon(argc, argv); }
