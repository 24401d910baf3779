#!/usr/bin/env bash
# Pre-fetch the jars Spark needs beyond its own into a folder with Maven, so Spark starts without
# Ivy resolution: air-gapped clusters, faster starts, and machines where Maven can reach Maven
# Central but Spark's own resolver cannot. Also fetches the S3-compatible test server.
#
#   infra/fetch_jars.sh [DEST [TOOLS]]     defaults: DEST infra/jars, TOOLS infra/tools
#
# DEST (the Spark classpath folder: every *.jar in it is loaded) receives
# - Delta Lake, the version of the installed delta-spark Python package;
# - S3A: org.apache.hadoop:hadoop-aws of the Hadoop that pyspark bundles (hadoop-client-api-X),
#   with the AWS SDK v2 as its individual modules (s3, s3-transfer-manager, sts and what they
#   pull in, about 19 MB) instead of the 686 MB `bundle` jar hadoop-aws declares; the SDK
#   version is the one that hadoop-aws release declares.
# Jars Spark ships already (same artifact, any version) are removed: two versions of one library
# on the classpath break Spark. TOOLS receives s3proxy (jar-with-dependencies), the S3 server of
# `ladder platform cluster`; it is not a Spark jar. Point `spark.jars_dir` (or
# LADDER_SPARK_JARS_DIR) at DEST.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/jars}
tools=${2:-$here/tools}
mkdir -p "$dest" "$tools" && dest=$(cd "$dest" && pwd) && tools=$(cd "$tools" && pwd)
python=${PYTHON:-python}
s3proxy_version=4.1.0
coords=$("$python" - <<'PY'
from importlib.metadata import version
import glob, os, pyspark
spark = ".".join(pyspark.__version__.split(".")[:2])
jars = os.path.join(os.path.dirname(pyspark.__file__), "jars")
api = glob.glob(os.path.join(jars, "hadoop-client-api-*.jar"))
if len(api) != 1:
    raise SystemExit(f"cannot tell pyspark's Hadoop version from {jars}: {api}")
hadoop = os.path.basename(api[0])[len("hadoop-client-api-"):-len(".jar")]
print(f"delta-spark_{spark}_2.13 {version('delta-spark')} {hadoop} {jars}")
PY
)
read -r delta delta_ver hadoop_ver spark_jars <<<"$coords"
s3proxy_jar="$tools/s3proxy-$s3proxy_version-jar-with-dependencies.jar"
if [ -f "$dest/$delta-$delta_ver.jar" ] && [ -f "$dest/hadoop-aws-$hadoop_ver.jar" ] \
  && [ -f "$s3proxy_jar" ]; then
  echo "jars already in $dest ($delta $delta_ver, hadoop-aws $hadoop_ver) and $tools"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pom() {  # pom DEPENDENCIES_XML > pom.xml
  cat <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ladder</groupId><artifactId>spark-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>$1</dependencies>
</project>
POM
}
dep() { echo "<dependency><groupId>$1</groupId><artifactId>$2</artifactId><version>$3</version>$4</dependency>"; }
# The SDK version hadoop-aws was built against (the tree reads poms only, not the bundle jar).
pom "$(dep org.apache.hadoop hadoop-aws "$hadoop_ver" "")" >"$work/pom.xml"
mvn -q -B -Dstyle.color=never -f "$work/pom.xml" dependency:tree -DoutputFile="$work/tree.txt" >/dev/null
sdk_ver=$(sed -nE 's/.*software\.amazon\.awssdk:bundle:jar:([^:]+):.*/\1/p' "$work/tree.txt")
[ -n "$sdk_ver" ] || { echo "no AWS SDK version in hadoop-aws $hadoop_ver's tree" >&2; exit 1; }
no_bundle="<exclusions><exclusion><groupId>software.amazon.awssdk</groupId><artifactId>bundle</artifactId></exclusion></exclusions>"
deps="$(dep io.delta "$delta" "$delta_ver" "")$(dep org.apache.hadoop hadoop-aws "$hadoop_ver" "$no_bundle")"
for module in s3 s3-transfer-manager sts; do
  deps+=$(dep software.amazon.awssdk "$module" "$sdk_ver" "")
done
pom "$deps" >"$work/pom.xml"
mvn -q -B -Dstyle.color=never -f "$work/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$dest" -DincludeScope=runtime \
  -DexcludeGroupIds=org.scala-lang,org.apache.spark,org.scala-lang.modules >/dev/null
for jar in "$dest"/*.jar; do
  name=$(basename "$jar" .jar | sed -E 's/-[0-9][0-9A-Za-z.\-]*$//')
  if compgen -G "$spark_jars/$name-[0-9]*.jar" >/dev/null; then rm -f "$jar"; fi
done
echo "fetched $(ls "$dest"/*.jar | wc -l) jars ($delta $delta_ver, hadoop-aws $hadoop_ver," \
  "AWS SDK $sdk_ver modules) into $dest"
mvn -q -B -Dstyle.color=never -f "$work/pom.xml" dependency:copy -Dartifact="org.gaul:s3proxy:$s3proxy_version:jar:jar-with-dependencies" \
  -DoutputDirectory="$tools" >/dev/null
echo "fetched $(basename "$s3proxy_jar") into $tools"
