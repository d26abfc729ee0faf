"""What stands behind a symptom when the failing object is only where it shows: one hook for four classes.

- agent.triage.component_alarms: a component's own resource alarm (etcd NOSPACE is its quota, not the disk)
  and the rollout that removed its safeguard;
- agent.triage.alarm_setting: a store's resource alarm set off by a write of its threshold out of the node's reach
  (RabbitMQ disk_free_limit above the volume, an Elasticsearch flood-stage watermark below what the disks hold);
- agent.triage.writer_batch: a writer whose batches shrank (batch size to 1, flush interval to 0) before a shared
  store refused every writer for the request count (ClickHouse Too many parts, Elasticsearch bulk rejections);
- agent.triage.query_rules: a SQL proxy's query rules reordered so an earlier rule catches a later one's statements
  (ProxySQL '^SELECT' to the readers ahead of 'SELECT ... FOR UPDATE'), their writes refused as read-only;
- agent.triage.consumer_mode: a consumer workload whose subscription a write made exclusive (Pulsar Shared ->
  Exclusive, a RabbitMQ exclusive consumer), its other replicas refused (ConsumerBusy, exclusive use);
- agent.triage.data_movement: a node the incident names saturating its network after an unthrottled data mover
  started (Kafka reassignment without --throttle, rsync without --bwlimit) whose target or own pod runs there;
- agent.triage.api_server_of: an error from an aggregated API (custom.metrics.k8s.io, external.metrics.k8s.io,
  metrics.k8s.io) leads to the APIService, its Service, the workload serving it and that workload's config;
- agent.triage.scaling_triggers: an autoscaler's trigger (HPA metric target, KEDA ScaledObject/ScaledJob
  trigger) naming the alert's queue or metric, and its target changed;
- agent.triage.node_exhaustion: a node's own table or limit full (conntrack, file descriptors, PIDs, ports),
  and the workload on it whose change drives it (or the DaemonSet/ConfigMap that lowered its kernel limit);
- agent.triage.node_conditions: a node condition beyond the kubelet's (node-problem-detector's ReadonlyFilesystem,
  KernelDeadlock...) that the incident's pods on that node fail by;
- agent.triage.cron_overlap: a CronJob whose schedule period is shorter than a run, so its controller kills
  (Replace) or skips (Forbid) its own runs;
- agent.triage.node_shared: a resource the pods of a node or cluster share ran out (inotify, attach slots, pod
  IPs, PIDs, host ports, capacity), and the change that consumed it on the victims' nodes or lowered its cap;
- agent.triage.default_class: a claim created after the default StorageClass moved took the new default
  while its siblings keep the old class: the class that became the default is the cause;
- agent.triage.credential_rotation: a Job rotated the password the clients' refused logins name, and their Secret
  was not written since (the rotation ran ahead of the sync);
- agent.triage.proxy_config: a proxy's global setting written in its ConfigMap (ingress-nginx's proxy-buffer-size,
  an nginx.conf's client_max_body_size) whose own refusal the proxy logs from the write on;
- agent.triage.node_cpu_hog: a node the incident names whose cores one pod without a CPU limit takes (a BestEffort
  `kubectl run` pod), the pods beside it missing their probe deadlines;
- agent.triage.node_pileup: a node the incident names running most replicas of one workload, stacked there by its
  rollout's placement change (a required podAffinity to a one-node target, a narrowed nodeSelector, a spread removed);
- agent.triage.resolver_down: DNS lookups timing out at a resolver address whose serving workload (a node-local
  DNS cache DaemonSet) is failing, and its rollout (a memory limit cut);
- agent.triage.node_memory_growth: a node under MemoryPressure: the pod on it that grew, and the config write of its
  owner that left its buffer unbounded (Fluent Bit without Mem_Buf_Limit, a collector without memory_limiter);
- agent.triage.policy_cut: a network policy of any flavour written just before that cuts the clients' path to
  the subject;
- agent.triage.family_gap: an egress policy that admits the outside world as IPv4 only (no ::/0) on a cluster using
  IPv6, while the subject fails to connect to an IPv6 address;
- agent.triage.group_lb_setting: an Ingress of a shared ALB IngressGroup whose newest write set a load-balancer-wide
  annotation (wafv2-acl-arn, inbound-cidrs, security-groups...) the subject's Ingress in that group now gets;
- agent.triage.endpoint_region: a ConfigMap written within 48 h whose S3 endpoint URL names another region
  than the one it sets (or was just written), while a client's requests are answered 301 PermanentRedirect;
- agent.triage.bucket_host: an object-store client whose unresolved host is its bucket in front of its endpoint
  (path-style addressing dropped against a self-hosted store): the client workload and its addressing change.
- agent.triage.quota_demand: a replica floor (minReplicas, replicas) raised just before the node provisioner's
  launches were refused for the cloud account's quota (VcpuLimitExceeded), its workload most of the Pending pods;
- agent.triage.allowlist_miss: an egress allow-list by address (ipBlock, toCIDR, nets) written just before that
  holds no range with the public address the subject now fails to connect to (stale vendor ranges);
- agent.triage.hpa_limited: an HPA whose ScalingLimited condition (ScaleUpLimit, TooManyReplicas) holds it below
  what its metric wants, by a behavior.scaleUp or maxReplicas written shortly before;
- agent.triage.gitops_prune: a dependency the cluster lacks that a GitOps object (Flux Kustomization, Argo CD
  Application) says it deleted (pruned) after its path or source was written;
- agent.triage.sidecar_hold: a Job's pod whose main container finished while a sidecar an injection label written
  shortly before on its Namespace added keeps it Running;
- agent.triage.storage_layer: volumes that fail to mount or provision (driver not registered, KMS/AccessDenied, an
  invalid parameter) named against the storage object governing them (the driver's DaemonSet, the StorageClass)
  written before the first failure;
- agent.triage.relabel_cut: a Namespace relabelled shortly before, and the NetworkPolicy whose namespaceSelector
  relied on the label it lost (its callers' connections now dropped);
- agent.triage.topic_autocreate: a broker whose create-on-first-use setting (auto.create.topics.enable,
  allowAutoTopicCreation) is off, named by its clients' unknown-topic errors;
- agent.triage.value_shape: a Secret or ConfigMap written shortly before the workload reading it began to say its
  value is malformed (an invalid character in a header, illegal base64, an unparsable DSN/URL, a malformed token).
- agent.triage.position_store: a log shipper restarted with its read offsets (Fluent Bit DB, Promtail positions,
  Vector data_dir, Filebeat registry, Fluentd pos_file, filelog storage) on an emptyDir or nowhere, re-reading every
  file from the head into a receiver that refuses the flood for its ingestion limit (429, bulk rejections).
- agent.triage.credential_write: a credential Secret written shortly before the workload reading it (env, volume,
  a Reloader restart) began to be refused for authentication (401/403), the refusals starting after the write.
- agent.triage.signing_secret: a signing Secret (webhook HMAC secret, JWT HMAC key) written shortly before the
  workload verifying with it began rejecting every signature as not matching (Stripe, GitHub, Slack, Svix, JWT).
- agent.triage.key_split: a Secret holding an app's signing key (Django SECRET_KEY, Rails secret_key_base, APP_KEY)
  rewritten while one workload's pods started on both sides of the write: replicas reject each other's sessions/CSRF.
- agent.triage.purge_job: a cleanup CronJob whose template was written before its namespace's workloads began to
  find their records gone (session not found), its run's log deleting many records with a filter printed unset.
- agent.triage.sticky_removed: an Ingress/Service/DestinationRule routing to a multi-replica app written without
  session affinity before the app began to lose its in-memory sessions (invalid session id).
- agent.triage.node_agent_socket: a node agent DaemonSet whose new revision, rolled to the named node, serves its unix
  socket under another hostPath than the one workloads there mount and dial (no such file or directory).
- agent.triage.store_full: a datastore refusing its callers' writes at its own ceiling (Redis maxmemory, Memcached -m,
  RabbitMQ's memory alarm, Elasticsearch's breaker or flood stage, etcd's quota): the write that lowered the setting,
  else the store with its limit (`EXTRA_WEIGHTS`: a module whose second check has a weight of its own).
- agent.triage.synthetic_check: a synthetic check (Probe, VMProbe, a blackbox modules file) written before its probe
  failed on an answer below 500 from the site (405 to a swapped module's POST): a false page, the check's write.
- agent.triage.pipeline_backpressure: a log pipeline's config (Fluentd overflow_action block, Fluent Bit
  storage.pause_on_chunks_overlimit, Vector when_full: block) written before senders' log clients said "buffer full".
- agent.triage.telemetry_intake: missing telemetry a store (Loki, Mimir, Tempo) refuses at an intake limit: the
  limit's write, the rollout whose scrape job's series filled a shared tenant, else the store with its limit.
- agent.triage.produced_format: a producer (CronJob, Deployment) written before its consumer began rejecting what it
  reads from the store location both name (a time layout, a field's type changed): the producer.
- agent.triage.enum_value: a flag switched on (or a producer's rollout) after which the producer emits an enum value
  its consumer's decoder rejects (Jackson not one of the values accepted, No enum constant, serde unknown variant).
- agent.triage.first_page: a batch workload written before its run stopped at a listing's first page (has_more,
  next token, IsTruncated) with a count a fraction of an older run's, exiting as a success.
- agent.triage.agent_export: a DaemonSet rollout whose pod on the node the incident names fails every export since
  (OTel Exporting failed, Fluent Bit failed to flush chunk, Vector Service call failed): the node's telemetry dropped.
- agent.triage.proxy_bypass: a proxy env source (envFrom ConfigMap, mutating policy, template) whose NO_PROXY
  lost .svc/.cluster.local, so in-cluster calls went to the egress proxy and were refused.
- agent.triage.agent_disk_buffer: a node under DiskPressure whose log agent DaemonSet's new revision (run there)
  buffers on disk under a read-write hostPath of the root volume (Vector type: disk, Fluent Bit filesystem storage).
- agent.triage.alert_rule: a rule object written twitchy (no for:, a short rate window) whose alert flaps while
  its condition over a sustained window does not hold: the page is the rule's config.
- agent.triage.queue_split: a consumer's write moved its queue name (task queue, topic, a Redis URL's database index)
  while another workload still hands work to the old one: no pollers there, the backlog grows.
- agent.triage.prefetch_hoard: a consumer's prefetch raised (Celery worker_prefetch_multiplier, AMQP prefetch) while
  the broker holds most messages unacked and few ready: short work waits behind long work.
- agent.triage.redrive_job: a Job whose log moved dead-letter messages back onto a live queue whose consumer now
  fails on message content (a TypeError on a missing field): the Job.
- agent.triage.scale_to_zero: a platform scaling default written to allow zero replicas (Knative config-autoscaler,
  KEDA minReplicaCount 0) under which a workload went to zero and back: cold starts past the gateway's timeout.
- agent.triage.scaler_paused: a KEDA ScaledObject/ScaledJob paused by annotation (paused-replicas, paused) that
  reports Paused while its triggers are active: the workload held below its load; the scaler.
- agent.triage.keyed_scaleout: an HPA (or a replica raise) putting a per-key stage (tail_sampling, spanmetrics, a
  Vector reduce) on several replicas while no sender routes by the key (no loadbalancing exporter).
- agent.triage.scrape_window: a scrape object's interval raised to half a metrics API server's rate() window or
  more: the client's metric goes empty (FailedGetPodsMetric); the scrape write.
- agent.triage.restart_controller: a config-restarter controller (Reloader, Wave) written before a run of rollouts
  of a workload that change only its marker (hash env, annotation): the controller's change.
- agent.triage.owner_gone: a Secret/ConfigMap garbage-collected with the Job that owned it, after a retention write
  (successfulJobsHistoryLimit 0, a short ttlSecondsAfterFinished) made the Job go: that write.
- agent.triage.route_unmatched: an Ingress/route whose host or path was rewritten shortly before its proxy began
  answering requests from no route (ingress-nginx upstream-default-backend, Envoy NR): clients keep the old Host.
- agent.triage.dueling_controllers: two installs of one controller (leases of different names) fighting over a
  workload whose fields flip back and forth: the newer install.
- agent.triage.cloud_actor: a CronJob whose command makes a mutating cloud call (aws rds stop-db-cluster, gcloud,
  az, an SDK's stop_*) and whose run's log names the managed datastore the incident's callers fail to reach.
- agent.triage.snat_agent: a node agent's SNAT/masquerade setting turned off cluster-wide (AWS VPC CNI EXTERNALSNAT,
  Cilium masquerade, Calico natOutgoing, ip-masq-agent) while the named node's pods time out going out.
- agent.triage.nat_ports: a shared NAT's source ports used up (ErrorPortAllocation, nat_allocation_failed) by a
  Job's burst of new connections started just before; other workloads' outbound connects time out since.
- agent.triage.final_save_cut: a store's terminationGracePeriodSeconds lowered below its final save on SIGTERM
  (Redis RDB, Kafka flush, a checkpoint): a pod started after it from stale or unclean state; the revision.
- agent.triage.scale_down_delay: a Rollout's scaleDownDelaySeconds written to near 0 with traffic routing or
  blue/green, callers' proxies failing (503 UH/UF, 502 refused) right at its scale-down to 0: the write.
- agent.triage.warmup_off: a cache warm-up/preload key set off (ConfigMap or env) before a restart of the workload
  it feeds, whose pod then starts cold or times out: the write.
- agent.triage.job_deadline: a batch run killed at its activeDeadlineSeconds (DeadlineExceeded) below what a completed
  run of the same owner took: the CronJob's template ceiling; downstream readers of its output find it stale.
- agent.triage.region_mismatch: an object store refusing requests signed for another region (S3 'the region X is
  wrong; expecting Y') after a ConfigMap or env write set that region: the write.
- agent.triage.visibility_delay: a writer's commit/checkpoint (under exactly-once) or flush interval raised past the
  age a reader's staleness guard accepts (max_age_ms), the reader refusing what it gets: the write.
- agent.triage.shuffle_release: a Spark setting written to let shuffle-holding executors go (a finite
  shuffleTracking.timeout, shuffle service off) before a driver's FetchFailed / missing shuffle output: the write.
- agent.triage.tunnel_mtu: a VPN tunnel gateway's MTU (its log's `ip link set mtu 1500 ... dev wg0`, a WireGuard
  config) with no room for its encapsulation, set before other workloads' reads began to stall mid-transfer.
- agent.triage.scrape_growth: a ServiceMonitor/PodMonitor (or another scrape object) written shortly before a
  monitoring server was OOMKilled, whose job now dominates the samples per scrape (a lost metricRelabelings drop).
- agent.triage.deleted_dependency: a needed object (ConfigMap, Secret, claim, Service) that an actor written
  shortly before (a janitor CronJob whose selector widened, a cleanup Job, a controller) says in its log it deleted;
- agent.triage.shared_quota: a third-party API quota (OVER_QUERY_LIMIT, RESOURCE_EXHAUSTED, 429) used up by a
  workload started or grown just before that reads the victim's own key (the same Secret, a copy, the same env).
- agent.triage.admission_mutation: a failing pod whose container differs from its controller's template (image,
  env, resources...) because a mutating admission actor written shortly before (Kyverno, Gatekeeper) changed it;
- agent.triage.config_data_crash: a ConfigMap or custom-kind object written just before its reader began to
  crash-loop on a data error (a blank field's NPE, an unmarshal error) that names the object or the written field.
- agent.triage.volume_binding: a pod that cannot schedule for its volume's node affinity, whose volume was
  provisioned after its StorageClass was re-created to bind Immediately (or pin zones).
- agent.triage.preemption_stance: a workload's Pending pods (a resource fit) admitted weaker than its running ones
  (lower priority, preemptionPolicy Never) while lower pods hold the room: the PriorityClass or template write.
- agent.triage.expander_preference: a node autoscaler's priority ranking (cluster-autoscaler priority expander) written
  to put first a group its own log says does not grow (capacity, quota, timeout) while pods are Pending.
- agent.triage.interruption_dropped: a node lifecycle controller's rollout that turned off its interruption handling
  (Karpenter's interruption queue, a termination handler's draining switch) before nodes vanished with their pods.
- agent.triage.node_prerequisite: a workload failing in its software's wording of a node prerequisite (vm.max_map_count,
  strict overcommit, exec format error...) on exactly the nodes a tuning DaemonSet's or a node template's write touched.
- agent.triage.upgrade_refusal: a controller upgraded (major/minor image move) that since refuses an object nobody
  wrote (ingress-nginx 1.12's strict pathType check refusing a regex path), named over the object's symptom;
- agent.triage.controller_switch: a controller-wide switch written (ingress-nginx's allow-snippet-annotations, a
  Traefik provider flag) after which the controller's log says it skips/ignores/rejects an object using that feature.
- agent.triage.peer_cut: a network policy written shortly before that cuts a clustered store's members from
  each other (peer heartbeats on the port an allow-list admits only clients to), its members saying so.
- agent.triage.port_unadmitted: an ingress allow-list written within 48 h without a port its pods serve, a named
  client's connects to that port (its pod IP or Service host) timing out since (a replaced worker's first fetch).
- agent.triage.store_mode: a data store's topology (cluster mode, shards), failover timing (Sentinel
  down-after-milliseconds) or durability setting (synchronous_mode_strict, min.insync.replicas) written before its
  clients' errors in that class's words (MOVED, READONLY, commits waiting for a missing replica).
- agent.triage.egress_closed: the mesh's egress closed (Istio outboundTrafficPolicy REGISTRY_ONLY in the mesh config,
  an IstioOperator or a Sidecar) before the callers' sidecars began sending an external host to BlackHoleCluster.
- agent.triage.egress_source: an egress gateway object (CiliumEgressGatewayPolicy, EgressIP, Antrea Egress) written
  before an external service began refusing the selected pods by source IP (403 ip_not_allowed, not allowlisted).
- agent.triage.dns_policy: a name-aware egress policy (Cilium rules.dns / toFQDNs, Calico domains) written so its
  rules no longer match the host a workload calls: the DNS proxy answers REFUSED (server misbehaving) or drops.
- agent.triage.pod_dns_settings: a failing pod's own DNS settings (dnsPolicy Default/None, hostNetwork, a lowered
  ndots) written by its rollout or added at admission, so the cluster names it calls no longer resolve.
- agent.triage.platform_spread: a workload's own write that widened its placement (node selector or affinity
  dropped, a toleration for every taint) onto a node of another OS/CPU, where its image has no variant.
- agent.triage.pod_network_identity: a per-pod network identity (SecurityGroupPolicy: a branch ENI with its security
  groups) written before the pods created after it began timing out outbound while the older replicas work.
- agent.triage.pool_nat: a node-scoped pod network config (Calico IPPool nodeSelector, CiliumNodeConfig, ENIConfig)
  written with outgoing NAT off before the pods on the nodes it selects timed out to everything outside.
- agent.triage.secret_store: a shared secret store (ClusterSecretStore, SecretStore, VaultAuth) written before every
  delivery object fetching through it stopped syncing, the workloads reading their Secrets failing.
- agent.triage.pool_raised: another workload's rollout raised its connection pool on a database it shares with
  workloads refused at the server's connection ceiling (Too many connections, too many clients) since.
- agent.triage.rotation_unstored: a rotator run that issued a new credential at its provider (and retired the old)
  but failed to store it in the Secret its consumers read, refused for authentication since.
- agent.triage.requester_pays: a bucket switched to Requester Pays whose cross-account readers are denied since
  (S3 403 without x-amz-request-payer, GCS userProject missing).
- agent.triage.group_ceiling: a managed store's parameter group written to a ceiling (Redis noeviction, max_connections)
  its instances' clients are refused at since.
- agent.triage.transit_required: a managed datastore's custom resource written to require encryption in transit
  (ElastiCache/Memorystore mode, rds.force_ssl, Azure non-SSL port off) before its plaintext clients were reset.
- agent.triage.claim_time: a write naming a token time-claim setting (not-before, issued-at, leeway, clock skew)
  before validators began refusing fresh tokens as not valid yet (nbf/iat ahead), on more than one node's clock.
- agent.triage.record_window: a write narrowing the window of record timestamps a store accepts (Kafka
  message.timestamp.before.max.ms, Loki reject_old_samples_max_age) before writers' late records were refused.
- agent.triage.header_overflow: a write making a proxy forward more headers (pass_authorization_header, auth response
  headers, ext_authz headers) before its upstream refused requests whose headers exceed its limit (400/431).
- agent.triage.auth_method: a server's write (upgrade, auth-method setting) requiring a password method (SCRAM,
  caching_sha2) its clients' driver cannot speak, before they began refusing it (authentication type 10).
- agent.triage.unsafe_retry: a route write (VirtualService retries, HTTPRoute retry, isRetryable) retrying write methods
  whose destination's access log shows POSTs sent twice by one request id: duplicate side effects.
- agent.triage.length_required: a gateway write requiring a Content-Length (Kong require_content_length, nginx
  chunked_transfer_encoding off, Envoy allow_chunked_length) before streaming clients got 411 Length Required.
- agent.triage.driver_tls_default: a client's rollout (no TLS option written) before its own pods began refusing the
  database's certificate on connect: the new driver's default (SqlClient Encrypt=true) against a self-signed cert.
- agent.triage.ntp_blocked: a host-scoped egress policy written without UDP 123 while a node the incident names
  reports its clock unsynchronised or off: the time daemon lost its sources.
- agent.triage.token_lifetime: a short-lived credential (RDS IAM token, STS session, access token) obtained once at
  startup: auth refusals begin one token lifetime after each pod start; the workload's revision.
- agent.triage.engine_memory: a batch/stream engine's custom resource (SparkApplication, FlinkDeployment, RayCluster)
  whose memory field was lowered before its own pods were killed at their memory limit (exit code 137, OOMKilled).
- agent.triage.run_lock: a shared template (Argo ClusterWorkflowTemplate) that gained a lock (synchronization mutex,
  semaphore, pool) while the runs that refer to it wait on that lock by name.
- agent.triage.queue_quota: a batch admission queue (Kueue ClusterQueue nominalQuota, Volcano Queue capability) written
  below what a named workload's admission record asks: it is never admitted (Job suspended, no pods), nothing fails.
- agent.triage.flush_starved: a sink's flush settings written to size only (Kafka Connect rotate.*.interval.ms removed,
  Logstash time_file 0) for the topic/table/bucket a late-output incident names: no file lands, lag climbs.
- agent.triage.ephemeral_growth: a workload write raising a growth setting (retention, cache size) whose pod on the
  node under DiskPressure keeps that data on an emptyDir without sizeLimit.
- agent.triage.class_performance: a storage class (re)created without the iops/throughput keys its sibling of
  the same provisioner carries, a claim provisioned from it since, next to failing clients.
- agent.triage.node_disk_run: a named node's disk saturated since a data run (file-system backup, copy, snapshot)
  began on it, named by the recent edit of the schedule or policy the run is named after.
- agent.triage.settings_reset: a write that dropped a server's settings, its reload resetting them to defaults
  (the server's own line names the keys the write's diff cannot show) while a client fails.
- agent.triage.gate_baseline: a Canary's latency gate written below what the stable version measured before the
  analysis began, every check halting on that threshold.
- agent.triage.substitution_emptied: a GitOps object whose build-time substitution was written, and a ConfigMap
  it applied since with a blank host where an application's own placeholder was.
- agent.triage.state_dropped: a stream job restarted without its state by a write (Flink upgradeMode stateless, a
  renamed application.id/group.id) whose own start says no checkpoint or committed offset was restored.
- agent.triage.entry_encoding: a writer's rollout that switched an encoding setting (codec, serializer, format) of
  entries in a store a failing reader also names in its spec, the reader failing to decode them.
- agent.triage.shared_identifier: the generic link last: a write (any kind, any namespace) before a victim's
  outward errors that shares a specific identifier (a host, principal, topic, bucket) with those lines or its spec.
- agent.triage.setting_words: the weakest link after it: a write whose written setting (a field path, a key of the
  written value) is named by a specific word of the victim's outward errors (`audiences`, `spiffe`, `redirect`).
- agent.triage.selector_orphan: an egress allow policy (Calico, Kubernetes, Cilium) re-written to select by a label
  key its pods do not carry (the same value under another key), leaving them to a default deny: their timeouts.
- agent.triage.handoff_unconsumed: a flag/config write after which a producer hands work to a queue (topic, stream)
  that nothing consumes: its consumer scaled to 0 and not autoscaled, or none deployed and the broker counting 0.
- agent.triage.lb_draining: a balancer's draining switched off or cut to 0 s on an Ingress or Service (target-group
  deregistration_delay, a Classic ELB's or Application Gateway's connection draining), then a rollout behind it.
- agent.triage.readiness_scope: a rollout that moved a readinessProbe to the aggregate health endpoint (with its
  dependencies), then every pod of the workload failing readiness together.
- agent.triage.syscall_profile: a seccomp/AppArmor/SELinux profile rewritten under a workload (its template names
  it, or the profile's status lists it) whose pods now fail at start saying a thread or system call was refused.
- agent.triage.mesh_inbound: a mesh's inbound default or policy made strict (Linkerd default-inbound-policy,
  Istio STRICT/principals) and, in its scope, the server's own proxy denying callers without an identity.
- agent.triage.config_server_empty: a config server changed (its rollout, its ConfigMap) whose own log since says it
  serves a failing app nothing (`returning 0 property sources`, `config data not exist`, `no keys under prefix`).
- agent.triage.source_environment: a secret/config source selector (a delivery object's remote path, an import Job's
  environment variable) written to name a non-production environment before its readers began failing.
- agent.triage.locale_format: a producer's write that set a decimal-comma locale (JVM -Duser.language, LANG/LC_*,
  --locale) before every line in which its consumer's parser refused a quoted decimal-comma number.
- agent.triage.node_revision: a DaemonSet whose new revision runs on the node the incident names while siblings on
  other nodes keep the old one (OnDelete, a partial rollout), with what its pod there says that theirs does not.
- agent.triage.frozen_mount: a failing workload mounting a ConfigMap/Secret key by subPath (never refreshed) that
  was written after all its pods started: the edit never reached them.

The survey calls `read` (reading only); the ranking calls `suspects` (pure over the facts) and weighs each
module's check by `WEIGHTS` (a module's `EXTRA_WEIGHTS`, when it has one, weighs its other checks).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from agent.triage import (
    accelerator_fallback,
    admission_mutation,
    agent_disk_buffer,
    agent_export,
    alarm_setting,
    alert_rule,
    allowlist_miss,
    api_server_of,
    auth_method,
    autoscaler_source,
    backfill_flood,
    bucket_host,
    cache_config,
    callee_contract,
    claim_spec,
    claim_time,
    class_driver,
    class_performance,
    client_quota,
    cloud_actor,
    cloud_policy,
    component_alarms,
    config_data_crash,
    config_server_empty,
    connection_age,
    consumer_mode,
    controller_api,
    controller_switch,
    credential_rotation,
    credential_write,
    cron_overlap,
    cron_window,
    data_movement,
    dedup_dropped,
    default_class,
    deleted_dependency,
    device_advertiser,
    dns_policy,
    driver_tls_default,
    dueling_controllers,
    egress_closed,
    egress_source,
    endpoint_region,
    engine_memory,
    engine_upgrade,
    entry_cached,
    entry_encoding,
    enum_value,
    environment_mixup,
    ephemeral_growth,
    eviction_shield,
    expander_preference,
    expansion_refused,
    family_gap,
    final_save_cut,
    first_page,
    flush_starved,
    frozen_mount,
    gate_baseline,
    gc_thrash,
    gitops_prune,
    gitops_source,
    gpu_sharing,
    group_ceiling,
    group_lb_setting,
    guard_trips,
    handoff_unconsumed,
    header_overflow,
    heap_metric,
    hpa_limited,
    hpa_unreachable,
    identity_binding,
    idp_import,
    idp_keys,
    interruption_dropped,
    job_deadline,
    jwt_policy,
    key_split,
    keyed_scaleout,
    kubelet_template,
    lag_writer,
    lb_draining,
    length_required,
    limiter_fail_closed,
    locale_format,
    log_timezone,
    mesh_inbound,
    nat_ports,
    nfs_attr_cache,
    node_agent_port,
    node_agent_socket,
    node_conditions,
    node_config_agent,
    node_cpu_hog,
    node_disk_run,
    node_exhaustion,
    node_lifecycle,
    node_memory_growth,
    node_pileup,
    node_prerequisite,
    node_revision,
    node_shared,
    ntp_blocked,
    owner_gone,
    peer_cut,
    pipeline_backpressure,
    platform_spread,
    pod_dns_settings,
    pod_network_identity,
    policy_cut,
    pool_ceiling_fell,
    pool_nat,
    pool_raised,
    pool_shrunk,
    port_protocol,
    port_unadmitted,
    position_store,
    preemption_stance,
    prefetch_hoard,
    produced_format,
    proxy_breaker,
    proxy_bypass,
    proxy_config,
    purge_job,
    query_rules,
    queue_quota,
    queue_split,
    queue_weights,
    quota_demand,
    readiness_scope,
    record_window,
    redrive_job,
    region_mismatch,
    rego_denials,
    relabel_cut,
    replay_divergence,
    requester_pays,
    resolver_down,
    resource_renamed,
    restart_controller,
    restartless_rotation,
    retry_repeats,
    rotation_cadence,
    rotation_unstored,
    route_unmatched,
    run_lock,
    runtime_parallelism,
    sampled_metrics,
    scale_down_delay,
    scale_to_zero,
    scaler_paused,
    scaling_triggers,
    schema_compat,
    scrape_growth,
    scrape_window,
    secret_delivery,
    secret_store,
    selector_orphan,
    series_dropped,
    setting_words,
    settings_reset,
    shared_identifier,
    shared_quota,
    shuffle_release,
    sidecar_hold,
    signing_secret,
    snat_agent,
    source_environment,
    stale_restore,
    state_dropped,
    sticky_removed,
    storage_layer,
    store_full,
    store_mode,
    substitution_emptied,
    synthetic_check,
    syscall_profile,
    telemetry_intake,
    time_source,
    timing_tight,
    token_lifetime,
    topic_autocreate,
    transit_required,
    tunnel_mtu,
    unsafe_retry,
    upgrade_refusal,
    value_shape,
    visibility_delay,
    volume_binding,
    volume_source,
    vpa_limits,
    warmup_off,
    workload_id,
    writer_batch,
    written_secret_readers,
)
from agent.triage.facts import Facts, Ref
from agent.triage.subject import Subject

MODULES: tuple[Any, ...] = (component_alarms, api_server_of, scaling_triggers, node_exhaustion, policy_cut,
                            node_conditions, cron_overlap, node_shared, default_class, credential_rotation,
                            proxy_config, node_cpu_hog, node_pileup, resolver_down, node_memory_growth, hpa_limited,
                            hpa_unreachable, runtime_parallelism, pool_shrunk, pool_ceiling_fell, limiter_fail_closed,
                            rotation_cadence, timing_tight, client_quota, node_agent_port, environment_mixup,
                            proxy_bypass, alert_rule,
                            scrape_window, restart_controller, owner_gone, dueling_controllers,
                            deleted_dependency, admission_mutation, alarm_setting, writer_batch, query_rules,
                            consumer_mode, data_movement,
                            gitops_prune, sidecar_hold, storage_layer, claim_spec, relabel_cut, topic_autocreate,
                            value_shape, position_store, volume_binding, volume_source,
                            preemption_stance,
                            expander_preference,
                            interruption_dropped,
                            written_secret_readers, credential_write, time_source, claim_time, record_window,
                            ntp_blocked,
                            header_overflow,
                            auth_method,
                            unsafe_retry,
                            length_required,
                            driver_tls_default,
                            identity_binding,
                            pool_nat,
                            pod_network_identity,
                            dns_policy,
                            pod_dns_settings,
                            platform_spread,
                            egress_source,
                            family_gap,
                            group_lb_setting,
                            endpoint_region,
                            bucket_host,
                            quota_demand,
                            allowlist_miss,
                            cloud_policy,
                            controller_api,
                            shared_quota, node_prerequisite, signing_secret, scrape_growth,
                            config_data_crash, controller_switch, upgrade_refusal, egress_closed, node_lifecycle,
                            store_mode, peer_cut, port_unadmitted,
                            gitops_source, secret_delivery, secret_store, callee_contract, schema_compat, port_protocol,
                            restartless_rotation, rego_denials,
                            proxy_breaker, shared_identifier, setting_words, class_driver, expansion_refused,
                            kubelet_template,
                            node_config_agent, autoscaler_source, device_advertiser, resource_renamed,
                            accelerator_fallback,
                            gpu_sharing, jwt_policy, workload_id, idp_keys, idp_import, key_split, purge_job,
                            sticky_removed, node_agent_socket, store_full, synthetic_check,
                            log_timezone,
                            connection_age,
                            cache_config,
                            sampled_metrics,
                            series_dropped,
                            dedup_dropped,
                            pipeline_backpressure, telemetry_intake, agent_disk_buffer, route_unmatched, cloud_actor,
                            snat_agent, nat_ports, tunnel_mtu,
                            keyed_scaleout, queue_split, prefetch_hoard, redrive_job, scale_to_zero, scaler_paused,
                            transit_required, group_ceiling, requester_pays, rotation_unstored, pool_raised,
                            token_lifetime, engine_memory, run_lock, queue_quota, flush_starved,
                            entry_encoding,
                            entry_cached,
                            produced_format,
                            substitution_emptied,
                            ephemeral_growth, state_dropped, settings_reset, gate_baseline, node_disk_run,
                            class_performance,
                            replay_divergence,
                            engine_upgrade,
                            queue_weights,
                            retry_repeats,
                            backfill_flood,
                            gc_thrash,
                            selector_orphan,
                            handoff_unconsumed,
                            shuffle_release,
                            visibility_delay,
                            region_mismatch,
                            job_deadline,
                            vpa_limits,
                            cron_window,
                            heap_metric,
                            warmup_off,
                            scale_down_delay,
                            final_save_cut,
                            eviction_shield,
                            lb_draining,
                            readiness_scope,
                            lag_writer,
                            enum_value,
                            first_page,
                            agent_export,
                            syscall_profile,
                            mesh_inbound,
                            locale_format,
                            node_revision,
                            frozen_mount,
                            config_server_empty,
                            source_environment,
                            guard_trips,
                            nfs_attr_cache,
                            stale_restore)
WEIGHTS: dict[str, float] = {m.CHECK: m.WEIGHT for m in MODULES} | {
    check: weight for m in MODULES for check, weight in getattr(m, "EXTRA_WEIGHTS", {}).items()}


async def read(subject: Subject, facts: Facts, call: Callable[..., Awaitable[Any]], at: str) -> None:
    """Each module's reads, in order (a later one may use what an earlier one kept)."""
    for module in MODULES:
        await module.read(subject, facts, call, at)


def suspects(facts: Facts) -> list[tuple[Ref, dict[str, Any], list[str], list[Ref]]]:
    """(suspect, finding, evidence ids, what it explains) from every module."""
    return [s for module in MODULES for s in module.suspects(facts)]
