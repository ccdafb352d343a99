import { Option, type Command } from 'commander';
import { BadInputError } from '../core/errors.js';
import { COMPONENTS, explainSettings, isComponent, type Component, type SettingSource } from '../settings.js';
import { addCommonOptions, settingsFlags, type CommonOptions } from './common-options.js';
import { closestSettingName } from './unknown-settings.js';
import { settingsWarnings } from './unknown-settings.js';

interface SettingsCommandOptions extends CommonOptions {
  component?: string;
  get?: string;
  json?: boolean;
}

const show = (value: unknown): string => JSON.stringify(value);

/**
 * `scrapy-cluster settings [--component C] [--get NAME]`: the effective settings, each with where its
 * value came from (default, file, env, flag), after the same layers a component command applies.
 */
export function registerSettingsCommand(program: Command): void {
  addCommonOptions(
    program
      .command('settings')
      .description('print the effective settings and where each value came from (default, file, env, flag)')
      .addOption(new Option('--component <name>', 'only this component').choices([...COMPONENTS]))
      .option('--get <name>', 'print only this setting’s value (JSON), for scripts')
      .option('--json', 'one JSON object {component: {NAME: {value, source}}}'),
  ).action(async (options: SettingsCommandOptions) => {
    const components: Component[] =
      options.component && isComponent(options.component) ? [options.component] : [...COMPONENTS];
    for (const line of await settingsWarnings(options)) process.stderr.write(`warning: ${line}\n`);
    const explained = await Promise.all(
      components.map(async (component) => ({
        component,
        ...(await explainSettings(component, {
          ...(options.settings ? { file: options.settings } : {}),
          flags: settingsFlags(options),
        })),
      })),
    );
    if (options.get !== undefined) {
      const name = options.get;
      const owner = explained.find((e) => Object.hasOwn(e.settings, name));
      if (!owner) {
        const near = closestSettingName(name);
        throw new BadInputError(`no setting ${name}${near ? ` (did you mean ${near}?)` : ''}`);
      }
      process.stdout.write(`${show(owner.settings[name])}\n`);
      return;
    }
    if (options.json) {
      const out: Record<string, Record<string, { value: unknown; source: SettingSource }>> = {};
      for (const { component, settings, sources } of explained)
        out[component] = Object.fromEntries(
          Object.keys(settings)
            .sort()
            .map((key) => [key, { value: settings[key], source: sources[key] ?? 'default' }]),
        );
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    const lines: string[] = [];
    for (const { component, settings, sources } of explained) {
      lines.push(`[${component}]`);
      const keys = Object.keys(settings).sort();
      const width = Math.max(...keys.map((k) => k.length));
      for (const key of keys)
        lines.push(`${key.padEnd(width)}  ${(sources[key] ?? 'default').padEnd(9)}  ${show(settings[key])}`);
      lines.push('');
    }
    process.stdout.write(lines.join('\n'));
  });
}
