#!/usr/bin/env bash
# Pre-fetch the Delta Lake jars (and their runtime dependencies) into a folder with Maven, so
# Spark starts without Ivy resolution: air-gapped clusters, faster starts, and machines where
# Maven can reach Maven Central but Spark's own resolver cannot.
#
#   infra/fetch_jars.sh [DEST]          default DEST: infra/jars
#
# The Delta version is the one of the installed delta-spark Python package; Spark and Scala
# jars are excluded (Spark ships them). Point `spark.jars_dir` (or LADDER_SPARK_JARS_DIR) at DEST.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/jars}
mkdir -p "$dest" && dest=$(cd "$dest" && pwd)
python=${PYTHON:-python}
coords=$("$python" - <<'PY'
from importlib.metadata import version
import os, pyspark
spark = ".".join(pyspark.__version__.split(".")[:2])
jars = os.path.join(os.path.dirname(pyspark.__file__), "jars")
print(f"io.delta delta-spark_{spark}_2.13 {version('delta-spark')} {jars}")
PY
)
read -r group artifact ver spark_jars <<<"$coords"
if ls "$dest"/"$artifact"-"$ver".jar >/dev/null 2>&1; then
  echo "jars already in $dest ($artifact $ver)"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>ladder</groupId><artifactId>delta-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>$group</groupId><artifactId>$artifact</artifactId><version>$ver</version></dependency>
  </dependencies>
</project>
POM
mkdir -p "$dest"
mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
  -DoutputDirectory="$dest" -DincludeScope=runtime \
  -DexcludeGroupIds=org.scala-lang,org.apache.spark,org.scala-lang.modules >/dev/null
# Keep only what Spark does not ship already (same artifact, any version): two versions of one
# library on the classpath break Spark.
for jar in "$dest"/*.jar; do
  name=$(basename "$jar" .jar | sed -E 's/-[0-9][0-9A-Za-z.\-]*$//')
  if compgen -G "$spark_jars/$name-[0-9]*.jar" >/dev/null; then rm -f "$jar"; fi
done
echo "fetched $(ls "$dest"/*.jar | wc -l) jars for $artifact $ver into $dest"
