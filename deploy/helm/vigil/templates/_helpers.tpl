{{/* The base name of every object: the release name, with "-vigil" unless it already says vigil. */}}
{{- define "vigil.fullname" -}}
{{- if contains "vigil" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-vigil" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* What selects Vigil's own pods; kept small and stable (a selector cannot change after install). */}}
{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: vigil
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: serve
{{- end -}}

{{- define "vigil.labels" -}}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/part-of: vigil
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* vigil.yaml, built from the values; secrets are only ever names of environment variables. */}}
{{- define "vigil.config" -}}
{{- $cfg := dict "state_dir" "/var/lib/vigil" "kubernetes" (dict "in_cluster" true) -}}
{{- if .Values.prometheus.url -}}{{- $_ := set $cfg "prometheus" (dict "url" .Values.prometheus.url) -}}{{- end -}}
{{- if .Values.loki.url -}}{{- $_ := set $cfg "loki" (dict "url" .Values.loki.url) -}}{{- end -}}
{{- $llm := dict "provider" .Values.llm.provider -}}
{{- if .Values.llm.model -}}{{- $_ := set $llm "model" .Values.llm.model -}}{{- end -}}
{{- if .Values.llm.baseUrl -}}{{- $_ := set $llm "base_url" .Values.llm.baseUrl -}}{{- end -}}
{{- if .Values.llm.apiKeySecret.name -}}{{- $_ := set $llm "api_key_env" "VIGIL_LLM_API_KEY" -}}{{- end -}}
{{- $_ := set $cfg "llm" $llm -}}
{{- if .Values.policy -}}{{- $_ := set $cfg "policy" "/etc/vigil/policy.yaml" -}}{{- end -}}
{{- if .Values.runbooks.configMap -}}{{- $_ := set $cfg "runbook_dirs" (list "/etc/vigil-runbooks") -}}{{- end -}}
{{- $slack := dict "command" .Values.slack.command -}}
{{- if .Values.slack.reportChannel -}}{{- $_ := set $slack "report_channel" .Values.slack.reportChannel -}}{{- end -}}
{{- if .Values.slack.approvalsChannel -}}{{- $_ := set $slack "approvals_channel" .Values.slack.approvalsChannel -}}{{- end -}}
{{- $serve := dict "slack" $slack -}}
{{- if .Values.pagerduty.fromEmail -}}{{- $_ := set $serve "pagerduty" (dict "from_email" .Values.pagerduty.fromEmail) -}}{{- end -}}
{{- $_ := set $cfg "serve" $serve -}}
{{- toYaml (mergeOverwrite $cfg (deepCopy .Values.extraConfig)) -}}
{{- end -}}

{{/* The pod spec shared by the Deployment (SQLite) and the StatefulSet (PostgreSQL). */}}
{{- define "vigil.podTemplate" -}}
metadata:
  labels:
    {{- include "vigil.labels" . | nindent 4 }}
  annotations:
    checksum/config: {{ include "vigil.config" . | sha256sum }}
spec:
  serviceAccountName: {{ include "vigil.fullname" . }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: vigil
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: [serve, --host, 0.0.0.0, --port, "8080"]
      ports:
        - name: http
          containerPort: 8080
      env:
        - name: VIGIL_CONFIG
          value: /etc/vigil/vigil.yaml
        - name: VIGIL_SERVE__WORKERS
          value: {{ .Values.workers | quote }}
        {{- if .Values.postgresql.enabled }}
        - name: VIGIL_SERVE__QUEUE_URL
          valueFrom: {secretKeyRef: {name: {{ .Values.postgresql.existingSecret }}, key: {{ .Values.postgresql.urlKey }}}}
        {{- end }}
        {{- if .Values.llm.apiKeySecret.name }}
        - name: VIGIL_LLM_API_KEY
          valueFrom: {secretKeyRef: {name: {{ .Values.llm.apiKeySecret.name }}, key: {{ .Values.llm.apiKeySecret.key }}}}
        {{- end }}
        {{- range $var, $key := dict "VIGIL_ALERTMANAGER_TOKEN" "alertmanager-token" "VIGIL_PAGERDUTY_SIGNING_SECRET" "pagerduty-signing-secret" "VIGIL_PAGERDUTY_API_TOKEN" "pagerduty-api-token" "VIGIL_SLACK_SIGNING_SECRET" "slack-signing-secret" "VIGIL_SLACK_BOT_TOKEN" "slack-bot-token" }}
        - name: {{ $var }}
          valueFrom: {secretKeyRef: {name: {{ $.Values.secrets.name }}, key: {{ $key }}, optional: true}}
        {{- end }}
      readinessProbe:
        httpGet: {path: /readyz, port: http}
        periodSeconds: 5
        failureThreshold: 3
      livenessProbe:
        httpGet: {path: /healthz, port: http}
        initialDelaySeconds: 10
        periodSeconds: 10
        failureThreshold: 6
      startupProbe:
        httpGet: {path: /healthz, port: http}
        periodSeconds: 2
        failureThreshold: 30
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      volumeMounts:
        - {name: config, mountPath: /etc/vigil, readOnly: true}
        {{- if .Values.runbooks.configMap }}
        - {name: runbooks, mountPath: /etc/vigil-runbooks, readOnly: true}
        {{- end }}
        - {name: state, mountPath: /var/lib/vigil}
        - {name: tmp, mountPath: /tmp}
  volumes:
    - name: config
      configMap: {name: {{ include "vigil.fullname" . }}-config}
    {{- if .Values.runbooks.configMap }}
    - name: runbooks
      configMap: {name: {{ .Values.runbooks.configMap }}}
    {{- end }}
    {{- if not .Values.postgresql.enabled }}
    - name: state
      persistentVolumeClaim: {claimName: {{ include "vigil.fullname" . }}-state}
    {{- end }}
    - name: tmp
      emptyDir: {}
{{- end -}}
