<?xml version="1.0" encoding="UTF-8"?>
<!--
  Renders an OAI-PMH 2.0 response as an HTML page: every verb, errors, oai_dc and MODS records, and a link to
  the next page by resumptionToken. XSLT 1.0, so that browsers can apply it themselves; harvesters ignore the
  processing instruction that points here. A browser opening /oai no longer needs it: it prefers HTML, so the
  server sends the same view built by templates/oai.html (browsers are dropping XSLT). This stays for a client
  that asks for the XML and can still apply XSLT; tests/views/test_stylesheet.py keeps the two views alike.

  Links are relative to the response's own URL (/oai): "?verb=..." stays on the endpoint, "./" is the home
  page, "records/<local id>" a landing page, "assets/style.css" the stylesheet shared with the other pages.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:oai="http://www.openarchives.org/OAI/2.0/"
    xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:mods="http://www.loc.gov/mods/v3"
    xmlns:id="http://www.openarchives.org/OAI/2.0/oai-identifier"
    exclude-result-prefixes="oai oai_dc dc mods id">

  <xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

  <xsl:variable name="verb" select="/oai:OAI-PMH/oai:request/@verb"/>
  <xsl:variable name="prefix">
    <xsl:choose>
      <xsl:when test="/oai:OAI-PMH/oai:request/@metadataPrefix">
        <xsl:value-of select="/oai:OAI-PMH/oai:request/@metadataPrefix"/>
      </xsl:when>
      <xsl:otherwise>oai_dc</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>

  <!-- The page -->
  <xsl:template match="/">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>
          <xsl:choose>
            <xsl:when test="/oai:OAI-PMH/oai:error">OAI-PMH error</xsl:when>
            <xsl:otherwise>OAI-PMH <xsl:value-of select="$verb"/></xsl:otherwise>
          </xsl:choose>
        </title>
        <link rel="stylesheet" href="assets/style.css"/>
      </head>
      <body>
        <header class="site">
          <div class="wrap">
            <a class="brand" href="./">Repository home</a>
            <nav>
              <a href="?verb=Identify">Identify</a>
              <a href="?verb=ListMetadataFormats">Formats</a>
              <a href="?verb=ListSets">Sets</a>
              <a href="?verb=ListRecords&amp;metadataPrefix=oai_dc">Records</a>
            </nav>
          </div>
        </header>
        <main class="wrap">
          <xsl:apply-templates select="oai:OAI-PMH"/>
        </main>
        <footer class="site">
          <div class="wrap">An OAI-PMH 2.0 response shown for reading; harvesters receive the same XML.</div>
        </footer>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="oai:OAI-PMH">
    <h1>
      <xsl:choose>
        <xsl:when test="oai:error">Error</xsl:when>
        <xsl:otherwise><xsl:value-of select="$verb"/></xsl:otherwise>
      </xsl:choose>
    </h1>
    <section class="oai-request">
      <dl>
        <dt>Request</dt>
        <dd><code><xsl:value-of select="oai:request"/></code></dd>
        <xsl:for-each select="oai:request/@*">
          <dt><xsl:value-of select="name()"/></dt>
          <dd><code><xsl:value-of select="."/></code></dd>
        </xsl:for-each>
        <dt>Response date</dt>
        <dd><xsl:value-of select="oai:responseDate"/></dd>
      </dl>
    </section>
    <xsl:apply-templates select="oai:error"/>
    <xsl:apply-templates select="oai:Identify | oai:ListMetadataFormats | oai:ListSets | oai:ListIdentifiers
                                 | oai:ListRecords | oai:GetRecord"/>
  </xsl:template>

  <xsl:template match="oai:error">
    <div class="oai-error">
      <code><xsl:value-of select="@code"/></code>: <xsl:value-of select="."/>
    </div>
  </xsl:template>

  <!-- Identify -->
  <xsl:template match="oai:Identify">
    <dl class="oai-fields">
      <dt>Repository name</dt><dd><xsl:value-of select="oai:repositoryName"/></dd>
      <dt>Base URL</dt><dd class="url"><xsl:value-of select="oai:baseURL"/></dd>
      <dt>Protocol version</dt><dd><xsl:value-of select="oai:protocolVersion"/></dd>
      <xsl:for-each select="oai:adminEmail">
        <dt>Administrator</dt><dd><a href="mailto:{.}"><xsl:value-of select="."/></a></dd>
      </xsl:for-each>
      <dt>Earliest datestamp</dt><dd><xsl:value-of select="oai:earliestDatestamp"/></dd>
      <dt>Deleted records</dt><dd><xsl:value-of select="oai:deletedRecord"/></dd>
      <dt>Granularity</dt><dd><xsl:value-of select="oai:granularity"/></dd>
      <xsl:for-each select="oai:compression">
        <dt>Compression</dt><dd><xsl:value-of select="."/></dd>
      </xsl:for-each>
      <xsl:for-each select="oai:description/id:oai-identifier">
        <dt>Repository identifier</dt><dd><xsl:value-of select="id:repositoryIdentifier"/></dd>
        <dt>Sample identifier</dt>
        <dd>
          <a>
            <xsl:attribute name="href">
              <xsl:text>?verb=GetRecord&amp;metadataPrefix=oai_dc&amp;identifier=</xsl:text>
              <xsl:call-template name="encode"><xsl:with-param name="s" select="id:sampleIdentifier"/></xsl:call-template>
            </xsl:attribute>
            <xsl:value-of select="id:sampleIdentifier"/>
          </a>
        </dd>
      </xsl:for-each>
      <xsl:for-each select="oai:description/*[not(self::id:oai-identifier)]">
        <dt>Description</dt><dd><code><xsl:value-of select="namespace-uri()"/></code></dd>
      </xsl:for-each>
    </dl>
  </xsl:template>

  <!-- ListMetadataFormats -->
  <xsl:template match="oai:ListMetadataFormats">
    <div class="scroll"><table>
      <thead><tr><th>Prefix</th><th>Namespace</th><th>Schema</th></tr></thead>
      <tbody>
        <xsl:for-each select="oai:metadataFormat">
          <tr>
            <td><a href="?verb=ListRecords&amp;metadataPrefix={oai:metadataPrefix}"><code><xsl:value-of select="oai:metadataPrefix"/></code></a></td>
            <td class="url"><xsl:value-of select="oai:metadataNamespace"/></td>
            <td><a class="url" href="{oai:schema}"><xsl:value-of select="oai:schema"/></a></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table></div>
  </xsl:template>

  <!-- ListSets -->
  <xsl:template match="oai:ListSets">
    <div class="scroll"><table>
      <thead><tr><th>Set</th><th>Spec</th><th>Description</th></tr></thead>
      <tbody>
        <xsl:for-each select="oai:set">
          <tr>
            <td>
              <a>
                <xsl:attribute name="href">
                  <xsl:text>?verb=ListRecords&amp;metadataPrefix=oai_dc&amp;set=</xsl:text>
                  <xsl:call-template name="encode"><xsl:with-param name="s" select="oai:setSpec"/></xsl:call-template>
                </xsl:attribute>
                <xsl:value-of select="oai:setName"/>
              </a>
            </td>
            <td><code><xsl:value-of select="oai:setSpec"/></code></td>
            <td><xsl:value-of select="oai:setDescription//dc:description"/></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table></div>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <!-- ListIdentifiers -->
  <xsl:template match="oai:ListIdentifiers">
    <xsl:for-each select="oai:header">
      <div class="oai-record">
        <xsl:if test="@status = 'deleted'"><xsl:attribute name="class">oai-record oai-deleted</xsl:attribute></xsl:if>
        <xsl:apply-templates select="."/>
      </div>
    </xsl:for-each>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <!-- ListRecords and GetRecord -->
  <xsl:template match="oai:ListRecords | oai:GetRecord">
    <xsl:apply-templates select="oai:record"/>
    <xsl:apply-templates select="oai:resumptionToken"/>
  </xsl:template>

  <xsl:template match="oai:record">
    <article class="oai-record">
      <xsl:if test="oai:header/@status = 'deleted'"><xsl:attribute name="class">oai-record oai-deleted</xsl:attribute></xsl:if>
      <xsl:apply-templates select="oai:metadata/*" mode="title"/>
      <xsl:apply-templates select="oai:header"/>
      <xsl:apply-templates select="oai:metadata/*"/>
    </article>
  </xsl:template>

  <xsl:template match="oai:header">
    <xsl:variable name="local" select="substring-after(substring-after(oai:identifier, 'oai:'), ':')"/>
    <p class="oai-header">
      <xsl:if test="@status = 'deleted'"><span class="status">Deleted</span> · </xsl:if>
      <code><xsl:value-of select="oai:identifier"/></code>
      · <xsl:value-of select="oai:datestamp"/>
      <xsl:if test="not(@status = 'deleted')">
        <br/>
        <xsl:if test="$local">
          <a>
            <xsl:attribute name="href">
              <xsl:text>records/</xsl:text>
              <xsl:call-template name="encode"><xsl:with-param name="s" select="$local"/></xsl:call-template>
            </xsl:attribute>
            <xsl:text>Landing page</xsl:text>
          </a>
          <xsl:text> · </xsl:text>
        </xsl:if>
        <a>
          <xsl:attribute name="href">
            <xsl:text>?verb=GetRecord&amp;metadataPrefix=</xsl:text>
            <xsl:value-of select="$prefix"/>
            <xsl:text>&amp;identifier=</xsl:text>
            <xsl:call-template name="encode"><xsl:with-param name="s" select="oai:identifier"/></xsl:call-template>
          </xsl:attribute>
          <xsl:text>GetRecord</xsl:text>
        </a>
        <xsl:text> · </xsl:text>
        <a>
          <xsl:attribute name="href">
            <xsl:text>?verb=ListMetadataFormats&amp;identifier=</xsl:text>
            <xsl:call-template name="encode"><xsl:with-param name="s" select="oai:identifier"/></xsl:call-template>
          </xsl:attribute>
          <xsl:text>Formats</xsl:text>
        </a>
      </xsl:if>
    </p>
    <xsl:if test="oai:setSpec">
      <details class="oai-sets">
        <summary>In <xsl:value-of select="count(oai:setSpec)"/> set<xsl:if test="count(oai:setSpec) != 1">s</xsl:if></summary>
        <xsl:for-each select="oai:setSpec">
          <a>
            <xsl:attribute name="href">
              <xsl:text>?verb=ListIdentifiers&amp;metadataPrefix=</xsl:text><xsl:value-of select="$prefix"/>
              <xsl:text>&amp;set=</xsl:text>
              <xsl:call-template name="encode"><xsl:with-param name="s" select="."/></xsl:call-template>
            </xsl:attribute>
            <code><xsl:value-of select="."/></code>
          </a>
          <xsl:text> </xsl:text>
        </xsl:for-each>
      </details>
    </xsl:if>
  </xsl:template>

  <!-- Titles -->
  <xsl:template match="oai_dc:dc" mode="title">
    <h3><xsl:value-of select="dc:title[1]"/></h3>
  </xsl:template>

  <xsl:template match="mods:mods" mode="title">
    <h3>
      <xsl:value-of select="mods:titleInfo[not(@type)][1]/mods:title"/>
      <xsl:if test="mods:titleInfo[not(@type)][1]/mods:subTitle">
        <xsl:text>: </xsl:text><xsl:value-of select="mods:titleInfo[not(@type)][1]/mods:subTitle"/>
      </xsl:if>
    </h3>
  </xsl:template>

  <xsl:template match="*" mode="title"/>

  <!-- oai_dc: the fifteen elements in simpledc order, repeated values under one label -->
  <xsl:template match="oai_dc:dc">
    <dl class="oai-fields">
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'title'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'creator'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'contributor'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'date'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'subject'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'description'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'publisher'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'source'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'type'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'format'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'identifier'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'language'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'relation'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'coverage'"/></xsl:call-template>
      <xsl:call-template name="dc"><xsl:with-param name="name" select="'rights'"/></xsl:call-template>
    </dl>
  </xsl:template>

  <xsl:template name="dc">
    <xsl:param name="name"/>
    <xsl:variable name="values" select="dc:*[local-name() = $name]"/>
    <xsl:if test="$values">
      <dt><xsl:value-of select="$name"/></dt>
      <dd>
        <xsl:for-each select="$values">
          <div><xsl:value-of select="."/></div>
        </xsl:for-each>
      </dd>
    </xsl:if>
  </xsl:template>

  <!-- MODS: the fields people look for -->
  <xsl:template match="mods:mods">
    <dl class="oai-fields">
      <xsl:for-each select="mods:name">
        <dt>
          <xsl:choose>
            <xsl:when test="mods:role/mods:roleTerm[@type='text']"><xsl:value-of select="mods:role/mods:roleTerm[@type='text']"/></xsl:when>
            <xsl:otherwise>name</xsl:otherwise>
          </xsl:choose>
        </dt>
        <dd>
          <xsl:choose>
            <xsl:when test="mods:namePart[@type='family']">
              <xsl:value-of select="mods:namePart[@type='family']"/>
              <xsl:if test="mods:namePart[@type='given']">, <xsl:value-of select="mods:namePart[@type='given']"/></xsl:if>
            </xsl:when>
            <xsl:otherwise>
              <xsl:for-each select="mods:namePart"><xsl:if test="position() &gt; 1">. </xsl:if><xsl:value-of select="."/></xsl:for-each>
            </xsl:otherwise>
          </xsl:choose>
        </dd>
      </xsl:for-each>
      <xsl:for-each select="mods:genre"><dt>genre</dt><dd><xsl:value-of select="."/></dd></xsl:for-each>
      <xsl:for-each select="mods:originInfo/mods:dateIssued | mods:originInfo/mods:dateCreated">
        <dt>date</dt><dd><xsl:value-of select="."/></dd>
      </xsl:for-each>
      <xsl:for-each select="mods:originInfo/mods:publisher"><dt>publisher</dt><dd><xsl:value-of select="."/></dd></xsl:for-each>
      <xsl:for-each select="mods:relatedItem[@type='host']">
        <dt>in</dt>
        <dd>
          <xsl:value-of select="mods:titleInfo/mods:title"/>
          <xsl:for-each select="mods:part/mods:detail">, <xsl:value-of select="@type"/><xsl:text> </xsl:text><xsl:value-of select="mods:number"/></xsl:for-each>
          <xsl:for-each select="mods:part/mods:extent[mods:start]">
            <xsl:text>, pp. </xsl:text><xsl:value-of select="mods:start"/>
            <xsl:if test="mods:end">–<xsl:value-of select="mods:end"/></xsl:if>
          </xsl:for-each>
        </dd>
      </xsl:for-each>
      <xsl:for-each select="mods:subject">
        <dt>subject</dt>
        <dd>
          <xsl:for-each select="*"><xsl:if test="position() &gt; 1"> -- </xsl:if><xsl:value-of select="."/></xsl:for-each>
        </dd>
      </xsl:for-each>
      <xsl:for-each select="mods:abstract"><dt>abstract</dt><dd><xsl:value-of select="."/></dd></xsl:for-each>
      <xsl:for-each select="mods:language/mods:languageTerm"><dt>language</dt><dd><xsl:value-of select="."/></dd></xsl:for-each>
      <xsl:for-each select="mods:identifier"><dt>identifier (<xsl:value-of select="@type"/>)</dt><dd><xsl:value-of select="."/></dd></xsl:for-each>
      <xsl:for-each select="mods:location/mods:url"><dt>url</dt><dd><a href="{.}"><xsl:value-of select="."/></a></dd></xsl:for-each>
    </dl>
  </xsl:template>

  <!-- Any other format: say what it is -->
  <xsl:template match="oai:metadata/*" priority="-1">
    <p class="muted">Metadata in <code><xsl:value-of select="namespace-uri()"/></code>.</p>
  </xsl:template>

  <!-- Paging (§3.5): tokens are URL-safe, so the link concatenates them as they are -->
  <xsl:template match="oai:resumptionToken">
    <nav class="oai-pager">
      <span>
        <xsl:if test="@completeListSize">
          <xsl:variable name="shown" select="count(../oai:record | ../oai:header | ../oai:set)"/>
          <xsl:variable name="cursor">
            <xsl:choose><xsl:when test="@cursor"><xsl:value-of select="@cursor"/></xsl:when><xsl:otherwise>0</xsl:otherwise></xsl:choose>
          </xsl:variable>
          <xsl:value-of select="$cursor + 1"/>–<xsl:value-of select="$cursor + $shown"/>
          <xsl:text> of </xsl:text><xsl:value-of select="@completeListSize"/>
        </xsl:if>
      </span>
      <xsl:choose>
        <xsl:when test="normalize-space(.)">
          <a>
            <xsl:attribute name="href">
              <xsl:text>?verb=</xsl:text><xsl:value-of select="$verb"/>
              <xsl:text>&amp;resumptionToken=</xsl:text>
              <xsl:call-template name="encode"><xsl:with-param name="s" select="normalize-space(.)"/></xsl:call-template>
            </xsl:attribute>
            <xsl:text>Next page →</xsl:text>
          </a>
        </xsl:when>
        <xsl:otherwise><span class="muted">End of the list</span></xsl:otherwise>
      </xsl:choose>
    </nav>
  </xsl:template>

  <!-- Percent-encodes the characters that would change a query string's meaning (identifiers may hold them) -->
  <xsl:template name="encode">
    <xsl:param name="s"/>
    <xsl:choose>
      <xsl:when test="string-length(translate($s, '%&amp;#+ ?', '')) = string-length($s)">
        <xsl:value-of select="$s"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="c" select="substring($s, 1, 1)"/>
        <xsl:choose>
          <xsl:when test="$c = '%'">%25</xsl:when>
          <xsl:when test="$c = '&amp;'">%26</xsl:when>
          <xsl:when test="$c = '#'">%23</xsl:when>
          <xsl:when test="$c = '+'">%2B</xsl:when>
          <xsl:when test="$c = ' '">%20</xsl:when>
          <xsl:when test="$c = '?'">%3F</xsl:when>
          <xsl:otherwise><xsl:value-of select="$c"/></xsl:otherwise>
        </xsl:choose>
        <xsl:call-template name="encode"><xsl:with-param name="s" select="substring($s, 2)"/></xsl:call-template>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
