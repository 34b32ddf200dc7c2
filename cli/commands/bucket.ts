// `shoal bucket create|ls|rm|props`, as `ais bucket ...`.
import type { Command } from 'commander';
import { PROVIDER_ALIASES } from '../../protocol/apc.ts';
import type { Bck } from '../../protocol/bmd.ts';
import { ErrInvalidArgument } from '../../protocol/errors.ts';
import { bckString, parseBck } from '../args.ts';
import type { CliContext } from '../context.ts';
import { renderTable } from '../format.ts';
import { registerBucketJobs } from './bucket-jobs.ts';
import { buildPropsValue, filterSection, flattenProps, parsePropPairs } from '../props.ts';

export function registerBucket(program: Command, ctx: CliContext): void {
  const bucket = program.command('bucket').description('create, list, destroy buckets; show and set bucket properties');

  bucket
    .command('create')
    .description('create ais buckets')
    .argument('<bucket...>', 'ais://NAME or NAME')
    .action(async (names: string[]) => {
      const bcks = names.map(parseBck);
      for (const bck of bcks) {
        await ctx.client().createBucket(bck);
        ctx.out(`"${bckString(bck)}" created\n`);
      }
    });

  bucket
    .command('ls')
    .alias('list')
    .description('list buckets')
    .argument('[provider]', 'e.g. ais:// (default: all in the cluster)')
    .action(async (provider: string | undefined) => {
      await listBuckets(ctx, provider);
    });

  bucket
    .command('rm')
    .description('destroy ais buckets and all their objects')
    .argument('<bucket...>', 'ais://NAME or NAME')
    .option('-y, --yes', 'assume yes (no confirmation prompt)')
    .action(async (names: string[]) => {
      const bcks = names.map(parseBck);
      for (const bck of bcks) {
        await ctx.client().destroyBucket(bck);
        ctx.out(`"${bckString(bck)}" destroyed\n`);
      }
    });

  registerBucketJobs(bucket, ctx);

  const props = bucket.command('props').description('show, set, reset bucket properties');
  props
    .command('show')
    .description('show bucket properties (optionally one section, e.g. checksum)')
    .argument('<bucket>')
    .argument('[section]', 'property section or key prefix, e.g. checksum or versioning.enabled')
    .option('--json', 'print the properties as JSON')
    .action(async (name: string, section: string | undefined, opts: { json?: boolean }) => {
      const bprops = await ctx.client().bucketProps(parseBck(name));
      if (opts.json) {
        ctx.out(JSON.stringify(bprops, null, 2) + '\n');
        return;
      }
      ctx.out(renderTable(['PROPERTY', 'VALUE'], filterSection(flattenProps(bprops), section)));
    });
  props
    .command('set')
    .description('set bucket properties: KEY=VALUE [KEY=VALUE...] (e.g. checksum.type=md5), or one JSON object')
    .argument('<bucket>')
    .argument('<props...>')
    .option('--force', 'force the change (AIS `force`)')
    .action(async (name: string, args: string[], opts: { force?: boolean }) => {
      const bck = parseBck(name);
      const value: Record<string, unknown> =
        args.length === 1 && args[0]!.trim().startsWith('{') ? (JSON.parse(args[0]!) as Record<string, unknown>) : buildPropsValue(parsePropPairs(args));
      if (opts.force) value['force'] = true;
      await ctx.client().setBucketProps(bck, value);
      ctx.out(`"${bckString(bck)}" props updated:\n`);
      ctx.out(renderTable(['PROPERTY', 'VALUE'], flattenProps(value).filter(([k]) => k !== 'force')));
    });
  props
    .command('reset')
    .description('reset bucket properties to the cluster defaults')
    .argument('<bucket>')
    .action(async (name: string) => {
      const bck = parseBck(name);
      await ctx.client().resetBucketProps(bck);
      ctx.out(`"${bckString(bck)}" props reset to cluster defaults\n`);
    });
}

/** `ais ls` with no bucket, `ais bucket ls`: NAME (as ais://b) and PROVIDER. */
export async function listBuckets(ctx: CliContext, provider: string | undefined): Promise<void> {
  const scheme = provider === undefined ? '' : provider.replace(/:\/\/$/, '').replace(/:$/, '');
  const prov = provider === undefined ? '' : PROVIDER_ALIASES[scheme];
  if (prov === undefined) throw new ErrInvalidArgument(`invalid backend provider "${provider}"`);
  const bcks: Bck[] = await ctx.client().listBuckets(prov);
  bcks.sort((a, b) => (a.provider + a.name < b.provider + b.name ? -1 : 1));
  if (bcks.length === 0) {
    ctx.out('No buckets in the cluster.\n');
    return;
  }
  ctx.out(renderTable(['NAME', 'PROVIDER'], bcks.map((b) => [bckString(b), b.provider])));
}
