import type { Command } from 'commander';
import { formatAddress, runOptionsFrom, runSimulate, type SimulateFlags } from '../simulate/simulator.js';

export async function runSimulateCommand(flags: SimulateFlags): Promise<void> {
  const options = runOptionsFrom(flags);
  const { target } = options;
  options.onListening = (address, startCommand) => {
    const wait = startCommand ? ` (it must send the start command ${startCommand})` : '';
    process.stderr.write(`listening on ${address}; waiting for a collector to connect${wait}\n`);
  };
  const summary = await runSimulate(options);
  if (target.kind === 'stdout') return;
  const to =
    target.kind === 'serial'
      ? `serial port ${target.path}`
      : target.kind === 'connect'
        ? formatAddress(target.host, target.port)
        : 'the collector';
  process.stderr.write(`sent ${summary.records} records of ${summary.calls} calls (${summary.bytes} bytes) to ${to}\n`);
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('send the records of simulated calls as a PBX of the format would: to stdout, over TCP or a serial port')
    .option('--format <id>', 'the format (PBX) to simulate')
    .option('--count <n>', 'how many calls', '10')
    .option('--rate <per-s>', 'records per second (default: as fast as possible)')
    .option('--seed <n>', 'random seed: the same seed gives the same calls', '1')
    .option('--start <iso>', 'start of the first call (default: recent calls ending now); with --seed the output is reproducible')
    .option('--tz <iana>', "the PBX clock's time zone", 'UTC')
    .option('--connect <tcp://host:port>', "push mode: connect to a collector's listener and send")
    .option('--listen <tcp://host:port>', 'listen for a collector to connect (it sends the start command where the PBX wants one)')
    .option('--serial <path>', 'write to a serial device')
    .option('--baud <n>', 'serial speed in bits per second (with --serial; default 9600)')
    .action(async (flags: SimulateFlags) => runSimulateCommand(flags));
}
