{{/* Names ------------------------------------------------------------------- */}}
{{- define "attrib.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "attrib.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>", e.g. attrib-worker */}}
{{- define "attrib.component" -}}
{{- printf "%s-%s" (include "attrib.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "attrib.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "attrib.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels ------------------------------------------------------------------ */}}
{{- define "attrib.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "attrib.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: attrib
{{- end -}}

{{/* dict "root" $ "component" "worker" */}}
{{- define "attrib.selectorLabels" -}}
app.kubernetes.io/name: {{ include "attrib.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "attrib.componentLabels" -}}
{{ include "attrib.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "attrib.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Secrets ----------------------------------------------------------------- */}}
{{- define "attrib.secretName" -}}
{{- include "attrib.fullname" . -}}
{{- end -}}

{{- define "attrib.adminTokenSecret" -}}
{{- default (include "attrib.secretName" .) .Values.adminToken.existingSecret -}}
{{- end -}}

{{- define "attrib.kafkaSecret" -}}
{{- default (include "attrib.secretName" .) .Values.kafka.sasl.existingSecret -}}
{{- end -}}

{{- define "attrib.clickhouseSecret" -}}
{{- default (include "attrib.secretName" .) .Values.clickhouse.existingSecret -}}
{{- end -}}

{{- define "attrib.usesSasl" -}}
{{- if hasPrefix "SASL" .Values.kafka.securityProtocol }}true{{ end -}}
{{- end -}}

{{- define "attrib.usesTls" -}}
{{- if and (hasSuffix "SSL" .Values.kafka.securityProtocol) .Values.kafka.tls.caSecret }}true{{ end -}}
{{- end -}}

{{/* Checks that a JSON schema cannot express ---------------------------------- */}}
{{- define "attrib.validate" -}}
{{- if gt (int .Values.worker.replicas) (int .Values.topics.partitions) -}}
{{- fail (printf "worker.replicas (%d) must not exceed topics.partitions (%d): a worker without a partition idles" (int .Values.worker.replicas) (int .Values.topics.partitions)) -}}
{{- end -}}
{{- if and .Values.collector.autoscaling.enabled (gt (int .Values.collector.autoscaling.minReplicas) (int .Values.collector.autoscaling.maxReplicas)) -}}
{{- fail "collector.autoscaling.minReplicas must not exceed maxReplicas" -}}
{{- end -}}
{{- if and (include "attrib.usesSasl" .) (not .Values.kafka.sasl.username) -}}
{{- fail "kafka.sasl.username is required with a SASL securityProtocol" -}}
{{- end -}}
{{- end -}}

{{/* Environment: the settings every role reads (names of attrib.settings) -------- */}}
{{- define "attrib.env" -}}
- name: ATTRIB_KAFKA_BOOTSTRAP
  value: {{ .Values.kafka.bootstrap | quote }}
- name: ATTRIB_KAFKA_SECURITY_PROTOCOL
  value: {{ .Values.kafka.securityProtocol | quote }}
{{- if include "attrib.usesSasl" . }}
- name: ATTRIB_KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: ATTRIB_KAFKA_SASL_USERNAME
  value: {{ .Values.kafka.sasl.username | quote }}
- name: ATTRIB_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "attrib.kafkaSecret" . }}
      key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- if include "attrib.usesTls" . }}
- name: ATTRIB_KAFKA_SSL_CAFILE
  value: /etc/attrib/kafka-ca/{{ .Values.kafka.tls.caKey }}
{{- end }}
- name: ATTRIB_TOPIC_PREFIX
  value: {{ .Values.topics.prefix | quote }}
- name: ATTRIB_TOPIC_PARTITIONS
  value: {{ .Values.topics.partitions | quote }}
- name: ATTRIB_TOPIC_REPLICATION
  value: {{ .Values.topics.replication | quote }}
- name: ATTRIB_CLICKHOUSE_URL
  value: {{ .Values.clickhouse.url | quote }}
- name: ATTRIB_CLICKHOUSE_USER
  value: {{ .Values.clickhouse.user | quote }}
- name: ATTRIB_CLICKHOUSE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "attrib.clickhouseSecret" . }}
      key: {{ .Values.clickhouse.passwordKey }}
- name: ATTRIB_CLICKHOUSE_DATABASE
  value: {{ .Values.clickhouse.database | quote }}
- name: ATTRIB_CLICKHOUSE_CLUSTER
  value: {{ .Values.clickhouse.cluster | quote }}
- name: ATTRIB_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "attrib.adminTokenSecret" . }}
      key: {{ .Values.adminToken.key }}
- name: ATTRIB_DATA_DIR
  value: /var/lib/attrib
- name: ATTRIB_LOG_LEVEL
  value: {{ .Values.settings.logLevel | quote }}
- name: ATTRIB_DECISION_DELAY
  value: {{ .Values.settings.decisionDelay | quote }}
- name: ATTRIB_FAUST_APP_ID
  value: {{ .Values.settings.faustAppId | quote }}
- name: ATTRIB_TRUSTED_PROXY_CIDRS
  value: {{ .Values.settings.trustedProxyCidrs | quote }}
- name: ATTRIB_TRUSTED_S2S_CIDRS
  value: {{ .Values.settings.trustedS2sCidrs | quote }}
- name: ATTRIB_BROKER_UNREACHABLE_GRACE
  value: {{ .Values.settings.brokerUnreachableGrace | quote }}
- name: ATTRIB_TABLE_STANDBY_REPLICAS
  value: {{ .Values.settings.tableStandbyReplicas | quote }}
- name: ATTRIB_TOUCH_INDEX_ENVELOPE
  value: {{ .Values.settings.touchIndexEnvelope | quote }}
- name: ATTRIB_WORKER_URL
  value: {{ printf "http://%s:%d" (include "attrib.component" (dict "root" . "component" "worker")) (int .Values.worker.port) | quote }}
- name: ATTRIB_WORKER_SINK
  value: {{ (not .Values.sink.enabled) | quote }}
- name: ATTRIB_WORKER_DELIVER
  value: {{ (not .Values.deliver.enabled) | quote }}
- name: ATTRIB_WORKER_ARCHIVE
  value: {{ (eq .Values.archive.mode "worker") | quote }}
{{- if ne .Values.archive.mode "off" }}
- name: ATTRIB_ARCHIVE_URL
  value: {{ required "archive.url is required when archive.mode is not off" .Values.archive.url | quote }}
- name: ATTRIB_ARCHIVE_FLUSH_ROWS
  value: {{ .Values.archive.flushRows | int | quote }}
- name: ATTRIB_ARCHIVE_FLUSH_BYTES
  value: {{ .Values.archive.flushBytes | int | quote }}
- name: ATTRIB_ARCHIVE_FLUSH_INTERVAL
  value: {{ .Values.archive.flushInterval | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes: /tmp always; the Kafka CA bundle when TLS names one ------------- */}}
{{- define "attrib.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if include "attrib.usesTls" . }}
- name: kafka-ca
  mountPath: /etc/attrib/kafka-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "attrib.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if include "attrib.usesTls" . }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every role: dict "root" $ "role" .Values.worker */}}
{{- define "attrib.podSpecCommon" -}}
serviceAccountName: {{ include "attrib.serviceAccountName" .root }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ .role.terminationGracePeriodSeconds }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .role.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod annotations: scraping, the role's own, a checksum of the chart's Secret */}}
{{- define "attrib.podAnnotations" -}}
checksum/secret: {{ include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum }}
{{- if and .root.Values.metrics.podAnnotations .port }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- with .role.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}
