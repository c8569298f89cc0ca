import { lazy, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router-dom';
import { Layout } from './components/Layout';
import { ToastProvider } from './components/Toast';
import { AuthProvider, useAuth } from './lib/auth';
import { Dashboard } from './pages/Dashboard';
import { Login } from './pages/Login';

// Route-level code splitting: the login screen and the dashboard (the
// first page after login) load eagerly; every other page is its own chunk,
// so the first page's JS stays small (docs/benchmarks.md).
const LiveLogs = lazy(() => import('./pages/LiveLogs'));
const Attackers = lazy(() => import('./pages/Attackers'));
const AttackerDetail = lazy(() => import('./pages/AttackerDetail'));
const Identities = lazy(() => import('./pages/Identities'));
const IdentityDetail = lazy(() => import('./pages/IdentityDetail'));
const Campaigns = lazy(() => import('./pages/Campaigns'));
const CampaignDetail = lazy(() => import('./pages/CampaignDetail'));
const Credentials = lazy(() => import('./pages/Credentials'));
const Bounty = lazy(() => import('./pages/Bounty'));
const Fleet = lazy(() => import('./pages/Fleet'));
const Webhooks = lazy(() => import('./pages/Webhooks'));
const TTPRules = lazy(() => import('./pages/TTPRules'));
const System = lazy(() => import('./pages/System'));

function Gate() {
  const { token } = useAuth();
  if (!token) return <Login />;
  return (
    <Layout>
      <Suspense fallback={<div className="loading">LOADING…</div>}>
        <Routes>
          <Route path="/" element={<Dashboard />} />
          <Route path="/live-logs" element={<LiveLogs />} />
          <Route path="/attackers" element={<Attackers />} />
          <Route path="/attackers/:uuid" element={<AttackerDetail />} />
          <Route path="/identities" element={<Identities />} />
          <Route path="/identities/:uuid" element={<IdentityDetail />} />
          <Route path="/campaigns" element={<Campaigns />} />
          <Route path="/campaigns/:uuid" element={<CampaignDetail />} />
          <Route path="/credentials" element={<Credentials />} />
          <Route path="/bounty" element={<Bounty />} />
          <Route path="/fleet" element={<Fleet />} />
          <Route path="/webhooks" element={<Webhooks />} />
          <Route path="/ttp/rules" element={<TTPRules />} />
          <Route path="/config" element={<System />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <AuthProvider>
        <ToastProvider>
          <Gate />
        </ToastProvider>
      </AuthProvider>
    </BrowserRouter>
  );
}
