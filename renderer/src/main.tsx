// Renderer entry: create the API client for whichever carrier is present and mount the app.
import { createRoot } from 'react-dom/client';
import { createClient } from './api-client';
import { App } from './App';
import { AppStateProvider } from './context';
import './styles.css';
import { warmUpCharts } from './warmup';

const client = createClient();
createRoot(document.getElementById('root')!).render(
  <AppStateProvider client={client}>
    <App />
  </AppStateProvider>,
);
warmUpCharts();
