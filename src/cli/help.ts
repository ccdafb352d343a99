import type { Command, Option } from 'commander';

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
}

function optionUsage(option: Option): string {
  const flag = option.short ?? option.long ?? option.flags;
  const value = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1];
  const text = value ? `${flag} ${value.toUpperCase().replace(/-/g, '_')}` : flag;
  return option.mandatory ? text : `[${text}]`;
}

/** `scrapy-cluster kafkadump dump -t TOPIC [-c GROUP] ...`: every option and argument spelled out. */
export function usageLine(command: Command): string {
  const options = command.options.filter((o) => !o.hidden).map(optionUsage);
  const args = command.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`));
  return [fullName(command), ...options, ...args].join(' ');
}

/**
 * After the usual help, every runnable command with its full usage line (what the original's
 * ArgparseHelper printed), so one `--help` shows how to run everything.
 */
export function allUsages(program: Command): string {
  const lines = program.commands
    .flatMap(leaves)
    .map((c) => `Command '${fullName(c).split(' ').slice(1).join(' ')}'\n  usage: ${usageLine(c)}`);
  return `\n${lines.join('\n\n')}\n`;
}
