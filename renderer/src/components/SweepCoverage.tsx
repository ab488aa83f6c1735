// What a cache merged from a cluster sweep's shards holds (`checkpoint-atlas merge`, docs/SCALE.md):
// a partial merge says which shards and units are still missing; their cells stay grey in the
// heatmaps (the plot's grey background shows through) and their frames are empty.
import type { RunSummary } from '../../../common/api';

export function SweepCoverage({ sweep }: { sweep: NonNullable<RunSummary['sweep']> }) {
  const complete = sweep.present >= sweep.units;
  const missingShards = sweep.missing.map((m) => m.shard);
  return (
    <div className={`notice ${complete ? 'ok' : 'warn'} sweep-coverage`} role="status" aria-label="Sweep coverage">
      <p>
        {complete ? 'Merged sweep, complete' : 'Partially merged sweep'}: {sweep.present} of {sweep.units} units from {sweep.mergedShards.length} of {sweep.shards} shard
        {sweep.shards === 1 ? '' : 's'}.
        {!complete && (
          <>
            {' '}
            Missing: shard{missingShards.length === 1 ? '' : 's'} {missingShards.join(', ')}; what they hold is <span className="sweep-missing-swatch">grey</span> in the views
            until they are merged (<code>checkpoint-atlas merge</code> again).
          </>
        )}
      </p>
      {!complete && (
        <ul className="sweep-missing">
          {sweep.missing.map((m) => (
            <li key={m.shard}>
              shard {m.shard}: {m.units} unit{m.units === 1 ? '' : 's'} ({m.examples.join(', ')}
              {m.units > m.examples.length ? ', …' : ''})
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
