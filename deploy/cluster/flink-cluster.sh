#!/usr/bin/env bash
# A Flink session cluster on this machine, one JVM per process, from the jars of Flink's
# distribution as Maven Central serves them (deploy/cluster/pom.xml copies them to target/lib on
# `mvn package`, or on the first start here). RocksDB state, checkpoints and savepoints on local
# disk under the cluster's directory. The job is submitted as an operator would: `submit` posts
# the job jar to the JobManager's REST API.
#
#   flink-cluster.sh start DIR [TASKMANAGERS] [REST_PORT]
#                     writes DIR/conf/config.yaml, starts one JobManager and TASKMANAGERS (2)
#                     TaskManagers, waits until they have registered and prints the REST address
#   flink-cluster.sh taskmanager DIR NAME
#                     starts one more TaskManager (for example after one was killed)
#   flink-cluster.sh submit DIR JAR [PARALLELISM [SAVEPOINT]] -- PROGRAM ARGS...
#                     uploads JAR and runs its main class; prints the job id
#   flink-cluster.sh stop-with-savepoint DIR JOB_ID
#                     stops the job with a savepoint under DIR/savepoints; prints its path
#   flink-cluster.sh stop DIR   stops every process of the cluster
#
# Each process's pid is in DIR/pids/NAME.pid, its log in DIR/log/NAME.log. Exit status: 0 done,
# 1 failed, 2 bad usage.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib=${FLINK_CLUSTER_LIB:-$here/target/lib}

usage() {
  sed -n '2,/^set/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# the JVM options Flink's own scripts pass on Java 17 (env.java.default-opts.all)
java_opts=(
  -XX:+IgnoreUnrecognizedVMOptions
  -Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.argus.model
  -Dorg.apache.avro.specific.use_custom_coders=true
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

ensure_lib() {
  if ! compgen -G "$lib/flink-runtime-*.jar" >/dev/null; then
    echo "assembling Flink's jars into $lib (once) ..." >&2
    mvn -B -q -f "$here/pom.xml" package >&2
  fi
}

classpath() { printf '%s:' "$lib"/*.jar; }

rest_url() { cat "$1/rest-url"; }

# bash_java_utils DIR COMMAND [-D key=value ...]: what Flink's scripts compute before starting a
# process, the JVM's memory options (line 1) and the dynamic properties (line 2)
bash_java_utils() {
  local dir=$1 cmd=$2
  shift 2
  java -Dlog.file="$dir/log/bash-java-utils.log" -Dlog4j.configurationFile="$here/log4j2.properties" \
    -cp "$(classpath)" org.apache.flink.runtime.util.bash.BashJavaUtils "$cmd" \
    --configDir "$dir/conf" "$@" 2>>"$dir/log/bash-java-utils.log" |
    sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p'
}

# launch DIR NAME MAIN_CLASS [-D key=value ...]: one Flink process in the background
launch() {
  local dir=$1 name=$2 main=$3 utils
  shift 3
  if [[ $main == *TaskManagerRunner ]]; then
    utils=$(bash_java_utils "$dir" GET_TM_RESOURCE_PARAMS "$@")
  else
    utils=$(bash_java_utils "$dir" GET_JM_RESOURCE_PARAMS "$@")
  fi
  local jvm dynamic own=
  jvm=$(sed -n 1p <<<"$utils")
  dynamic=$(sed -n 2p <<<"$utils")
  [[ -n $jvm ]] || { echo "Flink could not size $name's memory; see $dir/log/bash-java-utils.log" >&2; exit 1; }
  if [[ $main == *TaskManagerRunner ]]; then
    # the TaskManagers' own JVM options, as Flink's scripts pass them
    own=$(sed -n 's/^env\.java\.opts\.taskmanager:[[:space:]]*//p' "$dir/conf/config.yaml")
  fi
  # shellcheck disable=SC2086 # the computed options are words
  nohup java $jvm "${java_opts[@]}" $own \
    -Dlog.file="$dir/log/$name.log" -Dlog4j.configurationFile="$here/log4j2.properties" \
    -cp "$(classpath)" "$main" --configDir "$dir/conf" "$@" $dynamic \
    >"$dir/log/$name.out" 2>&1 &
  echo $! >"$dir/pids/$name.pid"
}

# json_field NAME: the string value of NAME in the JSON on standard input
json_field() { sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p"; }

write_config() {
  local dir=$1 rest_port=$2 rpc_port=$3
  mkdir -p "$dir/conf" "$dir/log" "$dir/pids" "$dir/checkpoints" "$dir/savepoints" "$dir/tmp" "$dir/uploads"
  {
    echo "# written by deploy/cluster/flink-cluster.sh: the settings of deploy/flink/config.yaml,"
    echo "# with state on this machine's disk"
    grep -v -E '^(execution\.checkpointing\.(dir|savepoint-dir)|metrics\.reporter\.prom\.port):' \
      "$here/../flink/config.yaml" | grep -v '^#'
    cat <<EOF
execution.checkpointing.dir: file://$dir/checkpoints
execution.checkpointing.savepoint-dir: file://$dir/savepoints
state.changelog.dstl.dfs.base-path: file://$dir/changelog
# one port of the range per process
metrics.reporter.prom.port: 9250-9270
jobmanager.rpc.address: localhost
jobmanager.rpc.port: $rpc_port
jobmanager.bind-host: localhost
taskmanager.bind-host: localhost
taskmanager.host: localhost
rest.address: localhost
rest.bind-address: localhost
rest.port: $rest_port
jobmanager.memory.process.size: 1024m
taskmanager.memory.process.size: 1600m
taskmanager.memory.managed.fraction: 0.3
taskmanager.numberOfTaskSlots: 2
parallelism.default: 2
# a killed TaskManager is noticed within 10 s, not the default 50 s
heartbeat.interval: 2000
heartbeat.timeout: 10000
io.tmp.dirs: $dir/tmp
web.upload.dir: $dir/uploads
web.submit.enable: true
EOF
  } >"$dir/conf/config.yaml"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# registered DIR: how many TaskManagers the JobManager knows
registered() {
  curl -sf "$(rest_url "$1")/taskmanagers" 2>/dev/null | grep -o '"id"' | wc -l || true
}

wait_for_taskmanagers() {
  local dir=$1 want=$2
  for _ in $(seq 1 240); do
    [[ $(registered "$dir") -ge $want ]] && return 0
    sleep 0.5
  done
  echo "only $(registered "$dir") of $want TaskManagers registered in 120 s; see $dir/log/" >&2
  exit 1
}

cmd=${1:-}
[[ -n $cmd ]] || usage
shift
case $cmd in
  start)
    [[ $# -ge 1 ]] || usage
    mkdir -p "$1"
    dir=$(cd "$1" && pwd) taskmanagers=${2:-2} rest_port=${3:-$(free_port)}
    ensure_lib
    write_config "$dir" "$rest_port" "$(free_port)"
    echo "http://localhost:$rest_port" >"$dir/rest-url"
    launch "$dir" jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
    for _ in $(seq 1 240); do
      curl -sf "$(rest_url "$dir")/overview" >/dev/null 2>&1 && break
      kill -0 "$(cat "$dir/pids/jobmanager.pid")" 2>/dev/null ||
        { echo "the JobManager exited; see $dir/log/jobmanager.log and .out" >&2; exit 1; }
      sleep 0.5
    done
    for i in $(seq 1 "$taskmanagers"); do
      launch "$dir" "taskmanager-$i" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
        -D "taskmanager.resource-id=taskmanager-$i"
    done
    wait_for_taskmanagers "$dir" "$taskmanagers"
    echo "rest=$(rest_url "$dir") taskmanagers=$taskmanagers dir=$dir"
    ;;
  taskmanager)
    [[ $# -eq 2 ]] || usage
    dir=$(cd "$1" && pwd) name=$2
    launch "$dir" "$name" org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
      -D "taskmanager.resource-id=$name"
    for _ in $(seq 1 240); do
      if curl -sf "$(rest_url "$dir")/taskmanagers" 2>/dev/null | grep -q "\"id\":\"$name\""; then
        echo "started $name"
        exit 0
      fi
      sleep 0.5
    done
    echo "$name did not register in 120 s; see $dir/log/$name.log" >&2
    exit 1
    ;;
  submit)
    [[ $# -ge 2 ]] || usage
    dir=$(cd "$1" && pwd) jar=$2
    shift 2
    parallelism="" savepoint=""
    [[ $# -gt 0 && $1 != -- ]] && { parallelism=$1; shift; }
    [[ $# -gt 0 && $1 != -- ]] && { savepoint=$1; shift; }
    [[ ${1:-} == -- ]] && shift
    args=$(printf '%s\n' "$@" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().splitlines()))')
    upload=$(curl -sS -X POST -F "jarfile=@$jar" "$(rest_url "$dir")/jars/upload")
    file=$(json_field filename <<<"$upload")
    [[ -n $file ]] || { echo "the JobManager refused the jar: $upload" >&2; exit 1; }
    body="{\"programArgsList\": $args"
    [[ -n $parallelism ]] && body+=", \"parallelism\": $parallelism"
    [[ -n $savepoint ]] && body+=", \"savepointPath\": \"$savepoint\""
    body+="}"
    run=$(curl -sS -X POST -H 'Content-Type: application/json' -d "$body" \
      "$(rest_url "$dir")/jars/$(basename "$file")/run")
    job=$(json_field jobid <<<"$run")
    [[ -n $job ]] || { echo "the job did not start: $run" >&2; exit 1; }
    echo "$job"
    ;;
  stop-with-savepoint)
    [[ $# -eq 2 ]] || usage
    dir=$(cd "$1" && pwd) job=$2
    trigger=$(curl -sS -X POST -H 'Content-Type: application/json' \
      -d "{\"targetDirectory\": \"file://$dir/savepoints\", \"drain\": false}" \
      "$(rest_url "$dir")/jobs/$job/stop" | json_field request-id)
    [[ -n $trigger ]] || { echo "the JobManager did not take the stop request for job $job" >&2; exit 1; }
    for _ in $(seq 1 600); do
      status=$(curl -sS "$(rest_url "$dir")/jobs/$job/savepoints/$trigger")
      if grep -q '"COMPLETED"' <<<"$status"; then
        location=$(json_field location <<<"$status")
        if [[ -z $location ]]; then
          # the failure's first line, not its serialized stack trace
          cause=$(python3 -c 'import json,sys; c=json.load(sys.stdin)["operation"]["failure-cause"]; print(c.get("stack-trace","").splitlines()[0] if c.get("stack-trace") else c)' <<<"$status" 2>/dev/null || echo "$status")
          echo "the savepoint of job $job failed: $cause" >&2
          exit 1
        fi
        echo "$location"
        exit 0
      fi
      sleep 0.5
    done
    echo "no savepoint of job $job within 300 s" >&2
    exit 1
    ;;
  stop)
    [[ $# -eq 1 ]] || usage
    dir=$(cd "$1" && pwd)
    for pid_file in "$dir"/pids/*.pid; do
      [[ -f $pid_file ]] || continue
      kill "$(cat "$pid_file")" 2>/dev/null || true
    done
    for pid_file in "$dir"/pids/*.pid; do
      [[ -f $pid_file ]] || continue
      pid=$(cat "$pid_file")
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$pid_file"
    done
    echo "stopped"
    ;;
  *) usage ;;
esac
