// The slice of echarts the app uses, registered once: keeps the bundle to the charts and
// components actually drawn (custom, heatmap, line, bar, scatter; grid, tooltip, axis pointer,
// inside data zoom, title, legend, continuous visual map, mark line and area: the head spectra's
// Marchenko-Pastur band; graphic: the heatmaps' legend line for missing and bounded cells) on the
// canvas renderer.
import { BarChart, CustomChart, HeatmapChart, LineChart, ScatterChart } from 'echarts/charts';
import { AxisPointerComponent, DataZoomInsideComponent, GraphicComponent, GridComponent, LegendScrollComponent, MarkAreaComponent, MarkLineComponent, TitleComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart,
  CustomChart,
  HeatmapChart,
  LineChart,
  ScatterChart,
  AxisPointerComponent,
  DataZoomInsideComponent,
  GraphicComponent,
  GridComponent,
  LegendScrollComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
]);

export { echarts };
export type EChartsInstance = ReturnType<typeof echarts.init>;
