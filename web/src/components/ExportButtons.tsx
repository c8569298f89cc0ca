import { useState } from 'react';
import { apiBlob, errorText } from '../lib/api';
import { saveBlob } from '../lib/download';
import { useToast } from './Toast';

type Format = 'stix' | 'misp';

/**
 * ExportButtons downloads an attacker's, identity's or campaign's STIX 2.1
 * bundle and MISP event from `${base}/export/{stix,misp}`, saved as
 * `${filePrefix}.{stix,misp}.json` (the server's attachment names). It
 * fetches through apiBlob because a plain link would not carry the bearer
 * token.
 */
export function ExportButtons({ base, filePrefix, noun }: { base: string; filePrefix: string; noun: string }) {
  const toast = useToast();
  const [busy, setBusy] = useState<Format | ''>('');

  const exportAs = async (fmt: Format) => {
    setBusy(fmt);
    try {
      const blob = await apiBlob(`${base}/export/${fmt}`);
      saveBlob(`${filePrefix}.${fmt}.json`, blob);
    } catch (e) {
      toast.push(`${fmt.toUpperCase()} EXPORT FAILED: ${errorText(e)}`, 'alert');
    } finally {
      setBusy('');
    }
  };

  return (
    <>
      <button type="button" className="btn small" disabled={busy !== ''} onClick={() => void exportAs('stix')} title={`Download a STIX 2.1 bundle of the ${noun}`}>
        STIX
      </button>
      <button type="button" className="btn small" disabled={busy !== ''} onClick={() => void exportAs('misp')} title={`Download a MISP event of the ${noun}`}>
        MISP
      </button>
    </>
  );
}
