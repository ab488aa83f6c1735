// One echarts instance bound to a div: created once, resized with its box, option applied with
// merge semantics (notMerge false) so animation updates that carry only series data stay cheap.
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import type { ChartOption } from '../../../common/charts';
import { echarts, type EChartsInstance } from '../echarts';

export interface ChartHandle {
  instance(): EChartsInstance | null;
  /** Apply a partial option (animation frames). */
  update(partial: ChartOption): void;
}

interface Props {
  option: ChartOption;
  height: number | string;
  ariaLabel: string;
  className?: string;
  testId?: string;
  onHover?: (params: { value: unknown; dataIndex: number; seriesIndex: number }) => void;
  onClick?: (params: { value: unknown; dataIndex: number; seriesIndex: number }) => void;
  onLeave?: () => void;
  /** Replace the whole option instead of merging (when the series set changes). */
  replace?: boolean;
  tabIndex?: number;
  onKeyDown?: (e: React.KeyboardEvent<HTMLDivElement>) => void;
  dataAttributes?: Record<string, string>;
}

export const Chart = forwardRef<ChartHandle, Props>(function Chart(props, ref) {
  const div = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsInstance | null>(null);
  const handlers = useRef(props);
  handlers.current = props;

  useEffect(() => {
    const el = div.current!;
    const instance = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.current = instance;
    instance.on('mouseover', (p) => handlers.current.onHover?.(p as never));
    instance.on('click', (p) => handlers.current.onClick?.(p as never));
    instance.on('globalout', () => handlers.current.onLeave?.());
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(el);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    if (!chart.current) return;
    chart.current.setOption(props.option, { notMerge: props.replace ?? true, lazyUpdate: false });
    // setOption above draws synchronously: mark the element so tests and bench/ui.mjs can tell
    // when a chart is on screen without reaching into echarts.
    div.current!.dataset.drawn = String(Number(div.current!.dataset.drawn ?? 0) + 1);
  }, [props.option, props.replace]);

  useImperativeHandle(ref, () => ({
    instance: () => chart.current,
    update: (partial) => chart.current?.setOption(partial, { notMerge: false, lazyUpdate: true, silent: true }),
  }));

  return (
    <div
      ref={div}
      className={`chart ${props.className ?? ''}`}
      style={{ height: props.height }}
      role="img"
      aria-label={props.ariaLabel}
      tabIndex={props.tabIndex}
      onKeyDown={props.onKeyDown}
      data-testid={props.testId}
      {...Object.fromEntries(Object.entries(props.dataAttributes ?? {}).map(([k, v]) => [`data-${k}`, v]))}
    />
  );
});
