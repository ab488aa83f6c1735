// The embedding correlation of a comparison (issue 20 item 3): one CorrelationPanel per shown run,
// side by side, all driven by the Animations tab's one shared timeline (timeline.ts: the union of
// the runs' steps, or tokens seen). Each run shows its latest correlation frame at or before the
// timeline's point and is headed by its own colour (runStyles of the runs' stored slots, as every
// view and export colours it). Every run's panel reads the page run's embedding tensor name
// (runs of one family share it); a run without it says so in its panel.
import { useMemo } from 'react';
import type { TensorMeta } from '../../../../common/api';
import { runStyles } from '../../../../common/charts';
import type { RunContext } from '../../run-context';
import { CorrelationPanel } from './CorrelationPanel';
import type { SharedTimeline } from './timeline';

export function CompareCorrelation({ ctx, meta, shared, index, reorder }: { ctx: RunContext; meta: TensorMeta; shared: SharedTimeline; index: number; reorder: boolean }) {
  const styles = useMemo(() => runStyles(ctx.runs), [ctx.runs]);
  const x = shared.steps[index] ?? 0;
  return (
    <div className="corrcompare" data-testid="corr-compare" data-runs={ctx.runs.length} data-x={x}>
      {ctx.runs.map((r) => (
        <CorrelationPanel
          key={r.id}
          ctx={ctx}
          meta={meta}
          index={index}
          checkpointIds={[]}
          reorder={reorder}
          run={{ id: r.id, name: r.name, colour: styles.get(r.id)?.colour ?? '#000000' }}
          at={{ x, xOf: shared.xOf.get(r.id) ?? ((s: number) => s) }}
        />
      ))}
    </div>
  );
}
