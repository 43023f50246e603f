/*
 * cli.h - the esmsim command line: argv in, exit status out (exit.h).
 */
#ifndef ESMSIM_CLI_H
#define ESMSIM_CLI_H

/* Run one esmsim command; returns the process exit status (SPEC 5). */
int cli_main(int argc, char **argv);

#endif
