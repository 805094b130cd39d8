{{/* Names and labels */}}
{{- define "fashion-wallet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fashion-wallet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "fashion-wallet.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "fashion-wallet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "fashion-wallet.selector" -}}
app.kubernetes.io/name: {{ include "fashion-wallet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "fashion-wallet.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "fashion-wallet.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-data" (include "fashion-wallet.fullname" .)) }}
{{- end }}

{{/* The service prefix JupyterHub routes to this service: <baseUrl>services/<name>/ */}}
{{- define "fashion-wallet.servicePrefix" -}}
{{- printf "%s/services/%s/" (trimSuffix "/" .Values.hub.baseUrl) .Values.hub.serviceName }}
{{- end }}

{{/* What the data stores' URLs are: the values, or the enabled subcharts' in-cluster addresses */}}
{{- define "fashion-wallet.databaseUrl" -}}
{{- if .Values.postgresql.enabled }}
{{- $auth := .Values.postgresql.auth }}
{{- printf "postgresql://%s:%s@%s-postgresql:5432/%s" $auth.username (required "postgresql.auth.password is required when postgresql.enabled" $auth.password | urlquery) .Release.Name $auth.database }}
{{- else }}
{{- required "secrets.databaseUrl is required (postgresql://user:password@host:5432/db), or set secrets.existingSecret, or postgresql.enabled=true" .Values.secrets.databaseUrl }}
{{- end }}
{{- end }}

{{- define "fashion-wallet.mongoUrl" -}}
{{- if .Values.mongodb.enabled }}
{{- $auth := .Values.mongodb.auth }}
{{- printf "mongodb://%s:%s@%s-mongodb:27017/?authSource=admin" $auth.rootUser (required "mongodb.auth.rootPassword is required when mongodb.enabled" $auth.rootPassword | urlquery) .Release.Name }}
{{- else }}
{{- .Values.secrets.mongoUrl }}
{{- end }}
{{- end }}

{{- define "fashion-wallet.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- printf "redis://:%s@%s-redis-master:6379/0" (required "redis.auth.password is required when redis.enabled" .Values.redis.auth.password | urlquery) .Release.Name }}
{{- else }}
{{- required "secrets.redisUrl is required (redis://:password@host:6379/0): events, undo stacks, rate limits and the render queue are shared through Redis; or set secrets.existingSecret, or redis.enabled=true" .Values.secrets.redisUrl }}
{{- end }}
{{- end }}

{{- define "fashion-wallet.storageUrl" -}}
{{- if .Values.minio.enabled }}
{{- printf "s3://%s" .Values.minio.defaultBuckets }}
{{- else }}
{{- required "secrets.storageUrl is required (s3://bucket/prefix or another fsspec URL every pod reaches): a pod's local folder is not shared; or set secrets.existingSecret, or minio.enabled=true" .Values.secrets.storageUrl }}
{{- end }}
{{- end }}

{{/* FW_* settings from the Secret: the data stores (service and workers alike) */}}
{{- define "fashion-wallet.dataEnv" -}}
{{- $secret := include "fashion-wallet.secretName" . }}
{{- range $name, $optional := dict "FW_DATABASE_URL" false "FW_REDIS_URL" false "FW_STORAGE_URL" false "FW_MONGO_URL" true "FW_SERVICE_SECRET" false "FW_PHOTO_KEY" true "AWS_ACCESS_KEY_ID" true "AWS_SECRET_ACCESS_KEY" true "AWS_ENDPOINT_URL" true "FSSPEC_S3_ENDPOINT_URL" true }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $name }}
      {{- if $optional }}
      optional: true
      {{- end }}
{{- end }}
- name: FW_QUEUE
  value: {{ ternary "rq" "local" .Values.worker.enabled | quote }}
- name: FW_QUEUE_PREFIX
  value: {{ .Values.worker.queuePrefix | quote }}
- name: FW_HOME
  value: /var/lib/fw
{{- with .Values.metrics.analysts }}
- name: FW_ANALYSTS
  value: {{ . | quote }}
{{- end }}
{{- if .Values.metrics.eventRetentionDays }}
- name: FW_EVENT_RETENTION_DAYS
  value: {{ .Values.metrics.eventRetentionDays | int | quote }}
{{- end }}
{{- end }}
