// The cluster templates: the sbatch scripts pass `bash -n`, and the Kubernetes manifests parse as
// YAML with an Indexed Job (completionMode, JOB_COMPLETION_INDEX, N consistent in its three
// places, a shared volume) and a merge Job on the same volume.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { projectRoot } from '../../../main/paths';

const ROOT = projectRoot();

describe('deploy/slurm', () => {
  for (const f of ['sweep.sbatch', 'merge.sbatch', 'local-cluster.sh']) {
    it(`${f} passes bash -n`, () => {
      const r = spawnSync('bash', ['-n', join(ROOT, 'deploy', 'slurm', f)], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }

  it('sweep.sbatch names its shard from the array task and requeues while waiting', () => {
    const s = readFileSync(join(ROOT, 'deploy', 'slurm', 'sweep.sbatch'), 'utf8');
    expect(s).toContain('SLURM_ARRAY_TASK_ID');
    expect(s).toContain('${ATLAS_SHARDS:-${SLURM_ARRAY_TASK_COUNT');
    expect(s).toContain('shard-$i-of-$n.sqlite');
    expect(s).toMatch(/^#SBATCH --requeue$/m);
    expect(s).toMatch(/ATLAS_ANALYSES/);
  });
});

describe('deploy/k8s/sweep.yaml', () => {
  const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy', 'k8s', 'sweep.yaml'), 'utf8'));
  // Manifests are free-form YAML.
  type Obj = Record<string, any>;
  const objs: Obj[] = docs.map((d) => {
    if (d.errors.length) throw new Error(`sweep.yaml: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Obj;
  });
  const jobs = objs.filter((o: Obj) => o.kind === 'Job');
  const sweep = jobs.find((j: Obj) => j.spec.completionMode === 'Indexed')!;
  const merge = jobs.find((j: Obj) => j !== sweep)!;

  it('has an Indexed Job whose pods compute shard JOB_COMPLETION_INDEX of N', () => {
    expect(sweep.apiVersion).toBe('batch/v1');
    const n = sweep.spec.completions as number;
    expect(n).toBeGreaterThan(1);
    // All shards must be able to run at once (the histogram phase waits for every shard).
    expect(sweep.spec.parallelism).toBe(n);
    const c = sweep.spec.template.spec.containers[0];
    const env = Object.fromEntries((c.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
    expect(Number(env.ATLAS_SHARDS)).toBe(n);
    const cmd = [...c.command, ...c.args].join(' ');
    expect(cmd).toContain('--shard "${JOB_COMPLETION_INDEX}/${ATLAS_SHARDS}"');
    expect(cmd).toContain('shard-${JOB_COMPLETION_INDEX}-of-${ATLAS_SHARDS}.sqlite');
    expect(sweep.spec.template.spec.restartPolicy).toMatch(/^(OnFailure|Never)$/);
  });

  it('shares one ReadWriteMany volume between the shards and the merge Job', () => {
    const pvc = objs.find((o: Obj) => o.kind === 'PersistentVolumeClaim')!;
    expect(pvc.spec.accessModes).toContain('ReadWriteMany');
    const claimOf = (job: Obj): string => {
      const mount = job.spec.template.spec.containers[0].volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/data');
      return job.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name).persistentVolumeClaim.claimName;
    };
    expect(claimOf(sweep)).toBe(pvc.metadata.name);
    expect(claimOf(merge)).toBe(pvc.metadata.name);
  });

  it('has a merge Job that waits for a complete sweep, then merges every shard', () => {
    const cmd = [...merge.spec.template.spec.containers[0].command, ...merge.spec.template.spec.containers[0].args].join(' ');
    expect(cmd).toMatch(/until node bin\/checkpoint-atlas\.mjs status \/data\/sweep/);
    expect(cmd).toContain('merge /data/sweep/merged.sqlite /data/sweep/shard-*-of-*.sqlite');
  });
});
